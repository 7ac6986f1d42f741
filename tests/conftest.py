"""Test-wide settings: Hypothesis profiles (``dev`` quick, ``ci`` thorough and derandomised)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True, scope="session")
def _witness_file_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Seals and witnessed heads of the tests go to a witness file of the session
    (app.audit.witness), never to the working directory's ``var/witness.jsonl``; a test that
    reads one sets ``CAISSE_WITNESS_FILE`` to its own."""
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("witness") / "witness.jsonl"
        patch.setenv("CAISSE_WITNESS_FILE", str(path))
        yield
