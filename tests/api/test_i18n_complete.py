"""Every message a person can read has a French rendering: a structural check.

The messages are collected from the source, not from examples, so a new refusal written
without its French fails here:

- in the services (``app/services``) and the engine (``app/engine``): every string literal
  or f-string given as a message to ``invalid``/``not_found``, to a service error's
  constructor (its ``detail``), to ``Problem(path, message)`` and to the books core's
  ``problem(path, message)``, and every ``title``/``detail`` class attribute;
- every engine problem code (its templates must exist in French and English);
- every pydantic error type the API's request schemas can produce (read from the OpenAPI
  document's constraints), by pydantic's own message template.

A text has a French rendering when the catalogue of English-written texts
(``app/locale/fr/*.po``) has an entry of the same shape (its ``{placeholders}`` stand where
the f-string's values stand), or when it is an engine message code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_core._pydantic_core import list_all_errors

from app.api.app import create_app  # imports every module that registers message codes
from app.engine.problems import LANGUAGES, problem_messages
from app.i18n import english_catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "app" / "services", ROOT / "app" / "engine")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
HOLE = "\x00"

# Calls whose argument at this position (or keyword) is a message a person reads.
MESSAGE_ARGUMENT: dict[str, tuple[int, str]] = {
    "invalid": (1, "message"),
    "Problem": (1, "message"),
    "problem": (1, "message"),
    "not_found": (0, "kind"),
    "require": (2, "message"),  # the books core's payload reader: f.require(ok, path, message)
    "_bad": (1, "message"),
}
# Variables that hold a message before it is raised (``message = f"..."``).
MESSAGE_VARIABLES = {"message", "detail"}
SERVICE_ERRORS = {
    "ServiceError",
    "Unauthenticated",
    "Forbidden",
    "NotFound",
    "Gone",
    "Conflict",
    "MonthClosed",
    "IdempotencyConflict",
    "InsufficientCredit",
    "MerchantSuspended",
    "InvalidRequest",
}


def _shape(node: ast.expr) -> str | None:
    """A literal's text with each interpolated value as a hole; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(HOLE)
        return "".join(parts)
    return None


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _service_errors(trees: list[ast.Module]) -> set[str]:
    """The service errors' class names, with every subclass the sources define."""
    known = set(SERVICE_ERRORS)
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in known
                    and {_name(base) for base in node.bases} & known
                ):
                    known.add(node.name)
                    grew = True
    return known


def _messages_in(path: Path, service_errors: set[str]) -> Iterator[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(ROOT).as_posix()
    for node in ast.walk(tree):
        found: ast.expr | None = None
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in MESSAGE_ARGUMENT:
                found = _argument(node, *MESSAGE_ARGUMENT[name])
            elif name in service_errors:
                found = _argument(node, 1, "detail")
            if name == "problem" and found is not None and _shape(found) in problem_messages():
                continue  # the engine's problem(path, code, ...): a code, checked below
        elif isinstance(node, ast.ClassDef):
            if not {_name(base) for base in node.bases} & service_errors:
                continue  # a chart's or a page's words, not a refusal
            for item in node.body:
                if isinstance(item, ast.Assign | ast.AnnAssign) and item.value is not None:
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    if any(_name(t) in {"title", "detail"} for t in targets):
                        shape = _shape(item.value)
                        if shape:
                            yield f"{where}:{item.lineno}", shape
            continue
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            found = node.value if _name(node.targets[0]) in MESSAGE_VARIABLES else None
        if found is None:
            continue
        shape = _shape(found)
        if shape:
            yield f"{where}:{node.lineno}", shape


# Messages that are keys, not sentences: the committee's merchant page words each one
# (app/web, French first with its English catalogue).
PAGE_KEYS = {
    "app/services/committee_merchants.py": {"unknown", "required", "name", "exists", "rate", "date"}
}


def source_messages() -> list[tuple[str, str]]:
    paths = [path for folder in SOURCES for path in sorted(folder.rglob("*.py"))]
    classes = _service_errors([ast.parse(path.read_text(encoding="utf-8")) for path in paths])
    found = []
    for path in paths:
        keys = PAGE_KEYS.get(path.relative_to(ROOT).as_posix(), set())
        found.extend(item for item in _messages_in(path, classes) if item[1] not in keys)
    return found


def _catalogue_shapes() -> set[str]:
    return {_PLACEHOLDER.sub(HOLE, msgid) for msgid in english_catalogue("fr")}


def untranslated_source_messages() -> list[str]:
    shapes = _catalogue_shapes()
    return sorted(
        f"{where}: {shape.replace(HOLE, '{}')}"
        for where, shape in source_messages()
        if shape not in shapes
    )


def test_every_message_the_services_and_the_engine_write_has_its_french() -> None:
    missing = untranslated_source_messages()
    assert missing == [], f"{len(missing)} messages without French:\n" + "\n".join(missing)


def test_every_engine_message_code_has_both_languages() -> None:
    for code, by_lang in problem_messages().items():
        assert set(by_lang) >= set(LANGUAGES), code
        names = {hole[1:-1] for lang in LANGUAGES for hole in _PLACEHOLDER.findall(by_lang[lang])}
        for lang in LANGUAGES:  # each template formats (a language may say a value its way)
            assert by_lang[lang].format(**dict.fromkeys(names, "x")), (code, lang)


# What each constraint of the OpenAPI document lets pydantic say.
CONSTRAINT_ERRORS = {
    "minLength": ("string_too_short",),
    "maxLength": ("string_too_long",),
    "pattern": ("string_pattern_mismatch",),
    "minimum": ("greater_than_equal",),
    "exclusiveMinimum": ("greater_than",),
    "maximum": ("less_than_equal",),
    "exclusiveMaximum": ("less_than",),
    "minItems": ("too_short",),
    "maxItems": ("too_long",),
    "enum": ("enum", "literal_error"),
    "const": ("literal_error",),
}
TYPE_ERRORS = {
    "integer": ("int_type", "int_parsing", "int_from_float"),
    "string": ("string_type",),
    "boolean": ("bool_type", "bool_parsing"),
    "object": ("model_type", "dict_type", "model_attributes_type"),
    "array": ("list_type",),
}
FORMAT_ERRORS = {"date": ("date_type", "date_parsing", "date_from_datetime_parsing")}
# Rendered by app.api.errors in words of its own, not by pydantic's template.
OWN_WORDS = {"missing", "extra_forbidden", "json_invalid"}


def _walk_schema(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from CONSTRAINT_ERRORS.get(key, ())
            if key == "type" and isinstance(value, str):
                yield from TYPE_ERRORS.get(value, ())
            if key == "format" and isinstance(value, str):
                yield from FORMAT_ERRORS.get(value, ())
            yield from _walk_schema(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_schema(item)


def api_error_types() -> set[str]:
    schemas = create_app().openapi().get("components", {}).get("schemas", {})
    request_schemas = {
        name: schema
        for name, schema in schemas.items()
        if name not in {"HTTPValidationError", "ValidationError"}
    }
    return set(_walk_schema(request_schemas)) - OWN_WORDS


def test_every_pydantic_message_the_api_can_emit_has_its_french() -> None:
    # A plural ending is written out ("characters"; the singular has its own entry).
    templates = {
        e["type"]: e["message_template_python"].replace("{expected_plural}", "s")
        for e in list_all_errors()
    }
    shapes = _catalogue_shapes()
    missing = sorted(
        f"{kind}: {templates[kind]}"
        for kind in api_error_types()
        if _PLACEHOLDER.sub(HOLE, templates[kind]) not in shapes
    )
    assert missing == [], f"{len(missing)} pydantic messages without French:\n" + "\n".join(missing)


@pytest.mark.parametrize("text", ["Not enough credit", "The month is closed"])
def test_the_check_sees_the_catalogue(text: str) -> None:
    assert text in english_catalogue("fr")
