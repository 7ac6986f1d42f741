"""bench.engine rewrites only its generated block of docs/benchmarks.md: the dated notes
people write in the "## Engine" section, and the other sections, survive every run."""

from __future__ import annotations

from bench.engine import GENERATED_BEGIN, GENERATED_END, replace_generated

PAGE = (
    "# Benchmarks\n\n## Engine\n\n### 2026-12-07: a note by hand\n\nkept\n\n"
    f"{GENERATED_BEGIN}\nold table\n{GENERATED_END}\n\n## Ledger\n\nledger text\n"
)


def test_a_run_replaces_its_block_and_keeps_the_notes_and_other_sections() -> None:
    assert replace_generated(PAGE, "new table\n") == (
        "# Benchmarks\n\n## Engine\n\n### 2026-12-07: a note by hand\n\nkept\n\n"
        f"{GENERATED_BEGIN}\nnew table\n{GENERATED_END}\n\n## Ledger\n\nledger text\n"
    )


def test_the_block_ends_an_engine_section_that_has_none_yet() -> None:
    page = "# Benchmarks\n\n## Engine\n\nnotes\n\n## Ledger\n\nx\n"
    assert replace_generated(page, "table") == (
        f"# Benchmarks\n\n## Engine\n\nnotes\n\n{GENERATED_BEGIN}\ntable\n{GENERATED_END}\n"
        "\n## Ledger\n\nx\n"
    )


def test_a_page_without_an_engine_section_gets_one_at_its_end() -> None:
    assert replace_generated("# Benchmarks\n", "table") == (
        f"# Benchmarks\n\n## Engine\n\n{GENERATED_BEGIN}\ntable\n{GENERATED_END}\n"
    )


def test_the_real_page_keeps_everything_outside_the_block() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text("utf-8")
    after = replace_generated(page, "table")
    begin, end = page.index(GENERATED_BEGIN), page.index(GENERATED_END) + len(GENERATED_END)
    assert after == page[:begin] + f"{GENERATED_BEGIN}\ntable\n{GENERATED_END}" + page[end:]
