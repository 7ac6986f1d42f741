"""The month run's payload goes through canonical JSON, which walks every value to refuse a
float or a non-string key wherever it sits (its own stack, plain values skipped by type).
Property: a document is refused exactly when a float or a non-string key is somewhere in it,
however deep, inside objects, lists or tuples; otherwise its bytes are sorted-key compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.canonical import canonical_bytes

_plain = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_leaf = _plain | st.floats(allow_nan=False)
_key = st.text(max_size=3) | st.integers(min_value=0, max_value=9)


def _documents(leaf: st.SearchStrategy[Any], key: st.SearchStrategy[Any]) -> Any:
    return st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=4).map(tuple)
            | st.dictionaries(key, inner, max_size=4)
        ),
        max_leaves=20,
    )


def _offences(value: Any) -> set[str]:
    """The kinds of offence anywhere in ``value``, by a plain recursive reading."""
    if isinstance(value, float):
        return {"floats are not allowed"}
    found: set[str] = set()
    if isinstance(value, dict):
        if any(not isinstance(k, str) for k in value):
            found.add("object keys must be strings")
        for item in value.values():
            found |= _offences(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= _offences(item)
    return found


@settings(max_examples=300, deadline=None)
@given(_documents(_leaf, _key))
def test_a_document_is_refused_exactly_when_a_float_or_a_number_key_is_in_it(doc: Any) -> None:
    offences = _offences(doc)
    if not offences:
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical_bytes(doc) == text.encode("utf-8")
        return
    with pytest.raises(ValueError) as refused:
        canonical_bytes(doc)
    # With both kinds present either may be met first; with one, that one is named.
    assert any(str(refused.value).startswith(kind) for kind in offences)


def test_a_float_deep_in_a_run_line_is_named() -> None:
    doc = {"households": [{"household_id": "hh_1", "amounts": (1, [2, {"x": 0.5}])}]}
    with pytest.raises(ValueError, match=r"got 0\.5$"):
        canonical_bytes(doc)
    with pytest.raises(ValueError, match="object keys must be strings, got 7"):
        canonical_bytes({"households": [{"a": [{7: "x"}]}]})
