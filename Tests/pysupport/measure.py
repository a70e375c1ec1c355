"""What the benchmarks read about processes, from /proc, and how they summarise samples."""

from __future__ import annotations

import os

TICKS = os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A /proc/<pid>/status figure in MB: VmRSS (all resident pages, shared libraries included), RssAnon (the
    process's own memory) or VmHWM (its peak); 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name, so that field N of stat(5) is at index N - 3."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int | str) -> float:
    """utime + stime of one process (its threads included); 0 once the process is gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat(5)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (any thread may have spawned them)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(_stat_fields(entry)[1]) == pid:
                found.append(int(entry))
        except OSError:
            pass
    return found


def percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
