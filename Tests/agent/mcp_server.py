"""A real MCP server over stdio, built with the official `mcp` package's FastMCP, for the agent tests.
It writes its pid to $MCP_PID_FILE so a test can check that the agent stopped it."""

from __future__ import annotations

import os
import sys

from mcp.server.fastmcp import FastMCP

server = FastMCP("calc")


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@server.tool()
def shout(message: str, times: int = 1) -> str:
    """Upper-cases a message, repeated `times` times."""
    return " ".join([message.upper()] * times)


@server.tool()
def total(numbers: list[float], label: str | None = None) -> str:
    """Sums a list of numbers (an array parameter, which passes through unchecked)."""
    return f"{label or 'total'}={sum(numbers):g}"


@server.tool()
def refuse(reason: str) -> str:
    """Always fails with the reason."""
    raise ValueError(reason)


@server.tool()
def crash() -> str:
    """Ends the server process in the middle of the call."""
    print("calc: crashing on purpose", file=sys.stderr, flush=True)
    os._exit(3)


if __name__ == "__main__":
    if os.environ.get("MCP_PID_FILE"):
        with open(os.environ["MCP_PID_FILE"], "w") as pid_file:
            pid_file.write(str(os.getpid()))
    server.run("stdio")
