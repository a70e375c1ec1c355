"""Shared by the benchmark scripts: table cells and their section of docs/BENCHMARKS.md, which each
script rewrites between its own markers (never edited by hand)."""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"


def cell(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def write_section(marker: str, title: str, header: str, table: str) -> Path:
    """Replaces (or appends) the section between `<!-- {marker}:start -->` and `<!-- {marker}:end -->`."""
    section = f"<!-- {marker}:start -->\n## {title}\n\n{header}\n\n{table}\n<!-- {marker}:end -->"
    existing = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- {re.escape(marker)}:start -->.*<!-- {re.escape(marker)}:end -->", re.S)
    if pattern.search(existing):
        existing = pattern.sub(lambda _: section, existing)
    else:
        existing = existing.rstrip() + "\n\n" + section + "\n"
    BENCHMARKS.write_text(existing)
    return BENCHMARKS
