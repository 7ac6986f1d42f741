"""Rule documents as the committee writes them: YAML (its own format) or JSON text, read
into the document the engine validates, with the LINE of every key so that each problem
the engine finds (a path such as ``credit.formula.base_cents``) can be shown at its line.

- Numbers written with a decimal point (``rate: 0.025``) are kept as the text typed
  (``"0.025"``): rates are exact decimal strings for the engine, a float never reaches it.
  YAML dates (``2027-01-01``) are kept as text too (the engine reads ISO text).
- YAML anchors and aliases are refused: a document small on screen could otherwise expand
  into a huge one (and the same key would sit at two lines).
- ``line_of(path)``: the line of the path's key, else of its closest parent that is written
  (a missing field is reported at the section that should hold it), else 1.
- ``canonical_yaml``: one way to print a document (sorted keys), so that two versions can be
  compared line by line whatever the layout they were typed in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json import decoder as json_decoder
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.engine.problems import join_path
from app.services.rules.documents import too_deep

MAX_CHARS = 200_000  # a real rule document is a few kilobytes
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """The text cannot be read as YAML or JSON; ``kind`` says why (for the page's words)."""

    line: int
    kind: str  # syntax | alias | key | deep | not_object | too_long | empty
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReadText:
    """The document read from the text, and where each of its keys is written."""

    form: str  # "yaml" | "json"
    document: dict[str, Any] | None
    lines: dict[str, int] = field(default_factory=dict)
    problem: SyntaxProblem | None = None

    def line_of(self, path: str) -> int:
        """The line of ``path`` (or of its closest written parent; 1 when none is)."""
        current = path
        while current:
            if current in self.lines:
                return self.lines[current]
            current = _parent(current)
        return 1


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def read_text(text: str, form: str | None = None) -> ReadText:
    """Read a rule document typed or uploaded by the committee: as ``form`` ("yaml" or
    "json") when the sender said which, else JSON when it starts with ``{``, else YAML."""
    if form is None:
        form = "json" if text.lstrip().startswith("{") else "yaml"
    if not text.strip():
        return ReadText(form, None, problem=SyntaxProblem(1, "empty"))
    if len(text) > MAX_CHARS:
        return ReadText(form, None, problem=SyntaxProblem(1, "too_long"))
    try:
        document, lines = _read_json(text) if form == "json" else _read_yaml(text)
    except _Refused as refusal:
        return ReadText(form, None, problem=refusal.problem)
    if not isinstance(document, dict):
        return ReadText(form, None, problem=SyntaxProblem(1, "not_object"))
    return ReadText(form, document, lines)


class _Refused(Exception):
    def __init__(self, problem: SyntaxProblem) -> None:
        super().__init__(problem.kind)
        self.problem = problem


class _Loader(yaml.SafeLoader):
    """Safe YAML whose decimals and dates stay the text written (no float, no date)."""


def _as_text(loader: yaml.SafeLoader, node: Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:float", _as_text)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def _read_yaml(text: str) -> tuple[Any, dict[str, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Refused(SyntaxProblem(1, "empty"))
        lines: dict[str, int] = {}
        _walk_yaml(node, "", lines, set())
        document = loader.construct_document(node)
        deep = too_deep(document)
        if deep is not None:
            raise _Refused(SyntaxProblem(lines.get(deep.path, 1), "deep", deep.path))
        return document, lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise _Refused(SyntaxProblem(line, "syntax", str(error.problem or ""))) from None
    except yaml.YAMLError as error:
        raise _Refused(SyntaxProblem(1, "syntax", str(error))) from None
    except RecursionError:
        raise _Refused(SyntaxProblem(1, "deep")) from None
    finally:
        loader.dispose()


def _walk_yaml(node: Node, path: str, lines: dict[str, int], seen: set[int]) -> None:
    """Record the line of every key and list item; refuse a node met twice (an alias)."""
    if id(node) in seen:
        raise _Refused(SyntaxProblem(node.start_mark.line + 1, "alias"))
    seen.add(id(node))
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise _Refused(SyntaxProblem(key_node.start_mark.line + 1, "key"))
            where = join_path(path, str(key_node.value))
            lines.setdefault(where, key_node.start_mark.line + 1)
            _walk_yaml(value_node, where, lines, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            where = join_path(path, index)
            lines.setdefault(where, item.start_mark.line + 1)
            _walk_yaml(item, where, lines, seen)


def _read_json(text: str) -> tuple[Any, dict[str, int]]:
    try:
        document = json.loads(text, parse_float=str)
    except json.JSONDecodeError as error:
        raise _Refused(SyntaxProblem(error.lineno, "syntax", error.msg)) from None
    except RecursionError:
        raise _Refused(SyntaxProblem(1, "syntax", "nested too deeply")) from None
    deep = too_deep(document)
    if deep is not None:
        raise _Refused(SyntaxProblem(1, "deep", deep.path))
    lines: dict[str, int] = {}
    _JsonLines(text, lines).value(0, "")
    return document, lines


class _JsonLines:
    """Where each key of a valid JSON text is written (recursive: the text was checked to
    be nested at most ``MAX_DEPTH`` levels)."""

    def __init__(self, text: str, lines: dict[str, int]) -> None:
        self.text = text
        self.lines = lines
        self.decoder = json.JSONDecoder(parse_float=str)

    def line(self, index: int) -> int:
        return self.text.count("\n", 0, index) + 1

    def space(self, index: int) -> int:
        match = _SPACE.match(self.text, index)
        return match.end() if match else index

    def value(self, index: int, path: str) -> int:
        index = self.space(index)
        char = self.text[index]
        if char == "{":
            return self.mapping(index + 1, path)
        if char == "[":
            return self.sequence(index + 1, path)
        return self.decoder.raw_decode(self.text, index)[1]

    def mapping(self, index: int, path: str) -> int:
        index = self.space(index)
        if self.text[index] == "}":
            return index + 1
        while True:
            index = self.space(index)
            key, after = json_decoder.scanstring(self.text, index + 1)  # type: ignore[attr-defined]
            where = join_path(path, key)
            self.lines.setdefault(where, self.line(index))
            index = self.space(after) + 1  # the colon
            index = self.space(self.value(index, where))
            if self.text[index] == "}":
                return index + 1
            index += 1  # the comma

    def sequence(self, index: int, path: str) -> int:
        index = self.space(index)
        if self.text[index] == "]":
            return index + 1
        position = 0
        while True:
            index = self.space(index)
            where = join_path(path, position)
            self.lines.setdefault(where, self.line(index))
            index = self.space(self.value(index, where))
            position += 1
            if self.text[index] == "]":
                return index + 1
            index += 1


def canonical_yaml(document: Any) -> str:
    """The document as YAML with sorted keys, one way only (for diffs and for editing)."""
    text: str = yaml.safe_dump(
        document, sort_keys=True, allow_unicode=True, default_flow_style=False, width=88
    )
    return text
