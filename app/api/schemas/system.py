"""Health and identity of the caller."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from app.api.schemas.fields import described


class Health(BaseModel):
    """The service answers and its database is reachable."""

    status: Literal["ok"] = described("Always ``ok`` when the service answers.", "ok", "text")
    api_version: str = described("Version of the HTTP API (path prefix).", "v1", "text")
    engine_version: str = described(
        "Version of the pure engine computing contributions and credits.",
        "caisse-engine/0.1.0",
        "text",
    )
    database: Literal["sqlite", "postgresql"] = described(
        "The database backend in use.", "sqlite", "text"
    )


class WhoAmI(BaseModel):
    """The principal behind the bearer token."""

    token_id: str = described(
        "Public id of the token (not its secret).", "tok_3f2a9c1b7d4e5f60", "identifier"
    )
    role: Literal["committee", "operator", "member", "merchant", "auditor", "researcher"] = (
        described("The token's single role.", "member", "text")
    )
    household_id: str | None = described(
        "For a member token, the only household it may see; otherwise null.",
        "hh_0042",
        "identifier",
    )
    merchant_id: str | None = described(
        "For a merchant token, the only merchant it acts for; otherwise null.", None, "identifier"
    )
