"""The interactive docs work offline: the page and its assets come from this server."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.api.app import create_app
from app.db.settings import Settings


def test_docs_page_loads_swagger_from_local_assets(tmp_path: object) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/docs.db"))
    with TestClient(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "/docs/assets/swagger-ui-bundle.js" in page.text
        assert "cdn" not in page.text.lower()
        script = client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
        assert client.get("/docs/assets/swagger-ui.css").status_code == 200
