"""The pages' routes, one module per area of the site, each exposing ``router``.

Modules are found here by name (every module of this package), so an area is added by adding
its module: ``public`` (home, sign-in, activation, language), ``member``, ``till``
(merchants), ``committee``, ``operator``, ``auditor``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda found: found.name):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        router = getattr(loaded, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers
