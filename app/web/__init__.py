"""The fund's web pages for people (members, merchants, committee, operators, auditors).

A sibling of ``app.api``: server-rendered pages (Jinja2, French first) that call the same
services; no business rule lives in a template or a page route. ``install_web(app)`` adds
them to the API's application (app.asgi composes the two).
"""

from app.web.site import install_web

__all__ = ["install_web"]
