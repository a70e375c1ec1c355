#!/usr/bin/env python3
"""Keeps docs/PROTOCOL.md and docs/THREAT_MODEL.md honest against the Swift sources.

Checks, each a set comparison that fails with a diff naming both sides:
  * registry routes (method + path) registered in Sources/Registry vs the endpoint rows of
    PROTOCOL.md §1 (a table row whose first cell is `METHOD /path`);
  * signaling message types (MeshProtocol's SignalingType) vs `### Signaling message types`;
  * hub event types (HubEvent(type: ...)) vs `### Hub event types`;
  * IPC command names (IPCCommand's parser) vs `### IPC commands`;
  * IPC event names (IPCEvent's lines) vs `### IPC events`;
  * mesh message types (MeshMessageType) vs `### Mesh message types`;
and for the docs under docs/ that cite code:
  * every test cited as `Tests/<file>::<function>` exists: the file is there and defines the function
    (Swift `func name`, Python `def name`);
  * every `Sources/...`, `Tests/...` or `scripts/...` path in backticks exists.

Plain Python 3.11 standard library; runs in well under a second. Exit 0 when everything matches,
1 with a report otherwise. `--root DIR` checks another checkout (the checker's own tests use it).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
ROUTER_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "head": "HEAD", "ws": "GET"}
DOCS_CITING_CODE = ("ARCHITECTURE.md", "PROTOCOL.md", "DEPLOYMENT.md", "THREAT_MODEL.md")


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    passes: list[str] = field(default_factory=list)

    def compare(self, what: str, code: set[str], doc: set[str], code_origin: str, doc_origin: str) -> None:
        if not code:
            self.failures.append(f"{what}: found nothing in {code_origin}; the extractor no longer matches the code")
            return
        missing_in_doc = sorted(code - doc)
        missing_in_code = sorted(doc - code)
        if not missing_in_doc and not missing_in_code:
            self.passes.append(f"{what}: {len(code)} match")
            return
        lines = [f"{what} differ between {code_origin} and {doc_origin}:"]
        lines += [f"  + in the code, missing from the doc: {item}" for item in missing_in_doc]
        lines += [f"  - in the doc, missing from the code: {item}" for item in missing_in_code]
        self.failures.append("\n".join(lines))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def strip_comments(swift: str) -> str:
    """Removes // and /* */ comments, keeping string literals (good enough for these files)."""
    swift = re.sub(r"/\*.*?\*/", "", swift, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|(?<=[\s;{}])//(?![^\n]*\").*$", "", swift)


# ---------------------------------------------------------------------------------------------------
# The code side
# ---------------------------------------------------------------------------------------------------

def block_end(text: str, open_brace: int) -> int:
    """Index just past the `}` matching the `{` at `open_brace`, skipping string literals."""
    depth = 0
    index = open_brace
    while index < len(text):
        char = text[index]
        if char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def swift_functions(text: str) -> dict[str, tuple[str, str]]:
    """Route-adding functions: name -> (router parameter name, body text)."""
    functions: dict[str, tuple[str, str]] = {}
    pattern = re.compile(r"func\s+(\w+)\s*\(\s*to\s+(\w+)\s*:\s*(?:Router|RouterGroup)\s*<[^{]*\{")
    for match in pattern.finditer(text):
        start = match.end() - 1
        functions[match.group(1)] = (match.group(2), text[start:block_end(text, start)])
    return functions


def normalize_path(path: str) -> str:
    path = "/" + path.strip("/")
    return re.sub(r":(\w+)", r"{\1}", path)


def registry_routes(root: Path) -> set[str]:
    """`METHOD /path` for every route the registry registers.

    Follows the wiring rather than guessing prefixes: `addRoutes` names the router and its groups
    (`let api = router.group("api")`) and passes them to `addXRoutes(to: api)`; each of those
    functions registers routes on its parameter with `.get("path")`, `.post(...)`, `.ws(...)` etc.
    """
    sources = sorted((root / "Sources/Registry").rglob("*.swift"))
    text = "\n".join(strip_comments(read(p)) for p in sources)
    functions = swift_functions(text)
    if "addRoutes" not in functions:
        return set()
    router_name, body = functions["addRoutes"]
    prefixes = {router_name: ""}
    for group in re.finditer(r"let\s+(\w+)\s*=\s*(\w+)\.group\(\s*\"([^\"]*)\"\s*\)", body):
        prefixes[group.group(1)] = prefixes.get(group.group(2), "") + "/" + group.group(3).strip("/")
    routes: set[str] = set()
    for call in re.finditer(r"\b(add\w+)\s*\(\s*to:\s*(\w+)\s*\)", body):
        name, argument = call.group(1), call.group(2)
        if name not in functions or argument not in prefixes:
            routes.add(f"?? {name}(to: {argument}) (cannot follow this call)")
            continue
        parameter, function_body = functions[name]
        for route in re.finditer(rf"\b{re.escape(parameter)}\.(get|post|put|patch|delete|head|ws)\(\s*\"([^\"]*)\"", function_body):
            routes.add(f"{ROUTER_VERBS[route.group(1)]} {normalize_path(prefixes[argument] + '/' + route.group(2))}")
    return routes


def raw_values(path: Path) -> set[str]:
    """The wire names of a typed enum: the cases of its `rawValue` switch (`case .offer: "offer"`)."""
    block = re.search(r"public\s+var\s+rawValue:\s*String\s*\{(.*?)\n    \}", read(path), re.S)
    return set(re.findall(r"case\s+\.\w+:\s*\"([^\"]+)\"", block.group(1) if block else ""))


def signaling_types(root: Path) -> set[str]:
    return raw_values(root / "Sources/MeshProtocol/Signaling/SignalingMessage.swift")


def hub_event_types(root: Path) -> set[str]:
    text = "\n".join(strip_comments(read(p)) for p in sorted((root / "Sources/Registry/Events").glob("*.swift")))
    return set(re.findall(r"HubEvent\(\s*type:\s*\"([^\"]+)\"", text))


def ipc_commands(root: Path) -> set[str]:
    text = strip_comments(read(root / "Sources/MeshProtocol/IPC/IPCCommand.swift"))
    switch = re.search(r"switch\s+type\s*\{(.*?)\n        \}", text, re.S)
    return set(re.findall(r"case\s+\"([^\"]+)\"\s*:", switch.group(1) if switch else ""))


def ipc_events(root: Path) -> set[str]:
    text = read(root / "Sources/MeshProtocol/IPC/IPCEvent.swift")
    return set(re.findall(r"\{\"type\":\"(\w+)\"", text))


def mesh_message_types(root: Path) -> set[str]:
    return raw_values(root / "Sources/MeshProtocol/Mesh/MeshMessage.swift")


# ---------------------------------------------------------------------------------------------------
# The doc side
# ---------------------------------------------------------------------------------------------------

def section(markdown: str, heading: str) -> str | None:
    """The text under `heading` (a whole heading line) up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = markdown.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == heading:
            body = []
            for following in lines[index + 1:]:
                match = re.match(r"(#+)\s", following)
                if match and len(match.group(1)) <= level:
                    break
                body.append(following)
            return "\n".join(body)
    return None


def first_cells(text: str) -> list[str]:
    """The first cell of every table row, without the surrounding spaces."""
    cells = []
    for line in text.splitlines():
        match = re.match(r"\s*\|([^|]*)\|", line)
        if match and not re.fullmatch(r"\s*:?-+:?\s*", match.group(1)):
            cells.append(match.group(1).strip())
    return cells


def doc_endpoints(markdown: str) -> set[str] | None:
    body = section(markdown, "## 1. Registry HTTP API")
    if body is None:
        return None
    endpoints = set()
    for cell in first_cells(body):
        match = re.fullmatch(rf"`({'|'.join(HTTP_METHODS)}) (/[^`\s]*)`", cell)
        if match:
            endpoints.add(f"{match.group(1)} {match.group(2)}")
    return endpoints


def doc_names(markdown: str, heading: str) -> set[str] | None:
    body = section(markdown, heading)
    if body is None:
        return None
    names = set()
    for cell in first_cells(body):
        match = re.fullmatch(r"`([a-z_]+)`", cell)
        if match:
            names.add(match.group(1))
    return names


# ---------------------------------------------------------------------------------------------------
# Citations
# ---------------------------------------------------------------------------------------------------

def defines(test_file: Path, function: str) -> bool:
    text = read(test_file)
    if test_file.suffix == ".py":
        return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(function)}\s*\(", text, re.M) is not None
    return re.search(rf"\bfunc\s+{re.escape(function)}\s*\(", text) is not None


def check_citations(root: Path, report: Report) -> None:
    cited_tests = 0
    cited_paths = 0
    problems: list[str] = []
    for name in DOCS_CITING_CODE:
        doc = root / "docs" / name
        if not doc.exists():
            continue
        text = read(doc)
        for match in re.finditer(r"`(Tests/[^`:\s]+)::(\w+)`", text):
            cited_tests += 1
            path, function = match.group(1), match.group(2)
            test_file = root / path
            if not test_file.is_file():
                problems.append(f"  docs/{name}: cites {path}::{function}, but there is no file {path}")
            elif not defines(test_file, function):
                problems.append(f"  docs/{name}: cites {path}::{function}, but {path} defines no test function {function}")
        for match in re.finditer(r"`((?:Sources|Tests|scripts|docs|bench|examples)/[^`\s]*?)(?::[\w:.-]*)?`", text):
            path = match.group(1).rstrip("/")
            if any(mark in path for mark in ("*", "<", "{", "…", "...")):
                continue
            cited_paths += 1
            if not (root / path).exists():
                problems.append(f"  docs/{name}: mentions `{match.group(1)}`, which does not exist")
    if problems:
        report.failures.append("code cited by the docs is missing:\n" + "\n".join(sorted(set(problems))))
    else:
        report.passes.append(f"citations: {cited_tests} tests and {cited_paths} paths exist")
    threat_model = root / "docs/THREAT_MODEL.md"
    if not threat_model.exists():
        report.failures.append("docs/THREAT_MODEL.md is missing")
    elif not re.search(r"`Tests/[^`:\s]+::\w+`", read(threat_model)):
        report.failures.append("docs/THREAT_MODEL.md cites no test as `Tests/<file>::<function>`")


# ---------------------------------------------------------------------------------------------------

def check(root: Path) -> Report:
    report = Report()
    protocol_path = root / "docs/PROTOCOL.md"
    if not protocol_path.exists():
        report.failures.append("docs/PROTOCOL.md is missing")
        return report
    protocol = read(protocol_path)
    doc = "docs/PROTOCOL.md"
    checks = [
        ("registry routes", registry_routes(root), doc_endpoints(protocol), "Sources/Registry", f"{doc} § '## 1. Registry HTTP API'"),
    ]
    for what, extractor, origin, heading in [
        ("signaling message types", signaling_types, "Sources/MeshProtocol/Signaling/SignalingMessage.swift", "### Signaling message types"),
        ("hub event types", hub_event_types, "Sources/Registry/Events", "### Hub event types"),
        ("IPC commands", ipc_commands, "Sources/MeshProtocol/IPC/IPCCommand.swift", "### IPC commands"),
        ("IPC events", ipc_events, "Sources/MeshProtocol/IPC/IPCEvent.swift", "### IPC events"),
        ("mesh message types", mesh_message_types, "Sources/MeshProtocol/Mesh/MeshMessage.swift", "### Mesh message types"),
    ]:
        checks.append((what, extractor(root), doc_names(protocol, heading), origin, f"{doc} § '{heading}'"))
    for what, code, documented, code_origin, doc_origin in checks:
        if documented is None:
            report.failures.append(f"{what}: {doc_origin} not found (the heading must be exactly that line)")
            continue
        report.compare(what, code, documented, code_origin, doc_origin)
    check_citations(root, report)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2], help="the repository to check")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only failures")
    args = parser.parse_args()
    report = check(args.root.resolve())
    if not args.quiet:
        for line in report.passes:
            print(f"ok   {line}")
    for failure in report.failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if report.failures:
        print(f"\n{len(report.failures)} documentation check(s) failed: fix the doc or the code so they agree.", file=sys.stderr)
        return 1
    print("docs match the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
