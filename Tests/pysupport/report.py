"""The benchmark scripts' options and report: table cells and their section of docs/BENCHMARKS.md, which each
script rewrites between its own markers (never edited by hand)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "BENCHMARKS.md"


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


def arguments(description: str | None = None, **defaults: int) -> argparse.ArgumentParser:
    """The options every benchmark takes, --bin-dir (required) and --no-write, and an integer option for each
    of `defaults` (round_trips=1000 is --round-trips, 1000 by default)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin-dir", required=True)
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--no-write", action="store_true")
    return parser


def machine(load: float) -> str:
    """How a section's header begins: when and on what the run was, and how busy the machine was when it began
    (other work on the machine skews every figure)."""
    return (f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores "
            f"(load average {load:.1f} when the run began)")


def publish(text: str, marker: str, title: str, header: str, write: bool = True) -> None:
    """Prints the table and, with `write`, makes it the section `marker` of docs/BENCHMARKS.md."""
    print(text)
    if write:
        print(f"wrote {write_section(marker, title, header, text)}", file=sys.stderr)
