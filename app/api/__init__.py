"""The HTTP service of caisse (FastAPI): routers, auth dependencies, problem details."""
