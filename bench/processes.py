"""Shared by the benchmark scripts: ports, process memory, percentiles and stopping what a run started."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def stop_all(processes: list[subprocess.Popen], timeout: float = 15) -> None:
    """SIGTERM to every process still running, then SIGKILL to any still there after `timeout`."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
