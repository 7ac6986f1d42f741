"""Settings from the environment: ``CAISSE_EXPORT_KEEP_DAYS`` (export archive retention)."""

from __future__ import annotations

import pytest

from app.db.settings import SettingsError, export_keep_days, load_settings


@pytest.mark.parametrize(
    ("value", "days"),
    [(None, 30), ("", 30), ("  ", 30), ("1", 1), (" 90 ", 90), ("36500", 36_500)],
)
def test_the_export_retention_is_a_number_of_days_defaulting_to_30(
    value: str | None, days: int
) -> None:
    environ = {} if value is None else {"CAISSE_EXPORT_KEEP_DAYS": value}
    assert export_keep_days(environ) == days


@pytest.mark.parametrize("value", ["0", "-5", "7.5", "30d", "abc", "36501", "٣٠"])
def test_a_bad_export_retention_names_the_variable_the_value_and_what_is_expected(
    value: str,
) -> None:
    with pytest.raises(SettingsError) as raised:
        export_keep_days({"CAISSE_EXPORT_KEEP_DAYS": value})
    assert str(raised.value) == (
        f"CAISSE_EXPORT_KEEP_DAYS={value!r} is not usable: expected a whole number of days"
        " from 1 to 36500 (how long an export job's archive is kept after the job finished),"
        " or unset for the default 30."
    )


def test_start_up_stops_on_a_bad_export_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAISSE_EXPORT_KEEP_DAYS", "thirty")
    with pytest.raises(SettingsError, match="CAISSE_EXPORT_KEEP_DAYS='thirty' is not usable"):
        load_settings()
    monkeypatch.setenv("CAISSE_EXPORT_KEEP_DAYS", "7")
    assert load_settings().export_keep_days == 7
