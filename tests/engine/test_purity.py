"""The engine imports the standard library and itself only (import-linter checks layers too)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "app" / "engine"
FORBIDDEN_STDLIB = {"random", "time", "os", "socket", "subprocess", "secrets", "uuid", "sqlite3"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_only_stdlib_and_itself() -> None:
    offenders: dict[str, set[str]] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        bad = {
            root
            for root in _imported_roots(path)
            if root != "app" and (root not in sys.stdlib_module_names or root in FORBIDDEN_STDLIB)
        }
        if bad:
            offenders[str(path.relative_to(ENGINE))] = bad
    assert offenders == {}


def test_engine_never_uses_float_literals_or_clock() -> None:
    for path in sorted(ENGINE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        floats = [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, float)
        ]
        assert floats == [], f"{path.name} has float literals at lines {floats}"
        assert "datetime.now" not in source and "date.today" not in source, path.name
