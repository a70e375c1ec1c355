"""A throwaway PostgreSQL server for tests, started and stopped by scripts/lib.sh (start_postgres,
stop_postgres; the one place that knows how), with a restart (pg_ctl stop -m fast, then start) for outages."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Postgres:
    """A PostgreSQL server on 127.0.0.1 (in the network namespace the caller runs in), reached at `url`
    (postgres://...?sslmode=disable). `stop` removes it and its folder; usable as a context manager."""

    dir: str | None = None
    bin: str = ""
    url: str = ""
    name = "postgres"

    def start(self) -> "Postgres":
        result = subprocess.run(
            ["bash", "-c", 'source scripts/lib.sh && start_postgres >&2 && printf "%s\\n%s\\n%s" "$PG_DIR" "$PG_BIN" "$PG_URL"'],
            cwd=REPO, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"start_postgres failed: {result.stderr}"
        self.dir, self.bin, self.url = result.stdout.split("\n")
        return self

    def stop(self) -> None:
        if self.dir:
            subprocess.run(["bash", "-c", "source scripts/lib.sh && stop_postgres"], cwd=REPO, capture_output=True, timeout=60,
                           env={**os.environ, "PG_DIR": self.dir, "PG_BIN": self.bin})
            self.dir = None

    def pg_ctl(self, *args: str) -> None:
        """pg_ctl on this cluster (as the postgres user when we are root, as lib.sh runs it); waits for it."""
        run = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        result = subprocess.run([*run, f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", *args],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"pg_ctl {' '.join(args)} failed: {result.stdout}{result.stderr}"

    def shutdown(self) -> None:
        """Stops the server (fast: open connections are ended) and keeps its data; `resume` starts it again."""
        self.pg_ctl("-m", "fast", "stop")

    def resume(self) -> None:
        """Starts the server again with the options start_postgres gave it (port, address, socket folder),
        read back from the postmaster.opts the server wrote: `pg_ctl start` does not reuse them by itself."""
        self.pg_ctl("-o", _server_options(Path(self.dir, "data", "postmaster.opts").read_text()), "start")

    def query(self, sql: str) -> list[list[str]]:
        """Rows of one SQL statement run with psql on this server (each a list of column texts)."""
        result = subprocess.run([f"{self.bin}/psql", self.url, "-X", "-A", "-t", "-F", "\t", "-c", sql], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"psql failed: {result.stderr}"
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def log(self) -> str:
        path = Path(self.dir or "", "server.log")
        return path.read_text(errors="replace") if self.dir and path.exists() else ""

    def __enter__(self) -> "Postgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _server_options(postmaster_opts: str) -> str:
    """The -c/-p/-k options of a postmaster.opts line (`/usr/lib/.../postgres "-D" "..." "-c" "x=y" ...`)."""
    words = shlex.split(postmaster_opts)[1:]
    kept: list[str] = []
    i = 0
    while i < len(words):
        if words[i] in ("-c", "-p", "-k") and i + 1 < len(words):
            kept += [words[i], shlex.quote(words[i + 1])]
            i += 2
        else:
            i += 1
    return " ".join(kept)
