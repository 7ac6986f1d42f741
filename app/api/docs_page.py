"""Interactive API docs served from this machine, not from a CDN.

A fund's office may run caisse on a network without internet access, so Swagger UI's
files are vendored in ``app/api/swagger_ui`` (swagger-ui-dist 5, which reads the OpenAPI 3.1
document FastAPI produces; the 4.x of the ``swagger-ui-bundle`` package could not) and served
under ``/docs/assets``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
SWAGGER_UI_DIR = Path(__file__).parent / "swagger_ui"


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve Swagger UI at ``/docs`` with its assets from the installed bundle."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI_DIR)), name="docs-assets")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    app.add_api_route("/docs", docs, include_in_schema=False)
