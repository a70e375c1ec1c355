"""What every managed process (registry, sidecar, agent, coturn, outside A2A agents) shares: where the binaries
are, starting with output to a log file, kill -9, and a stop that signals, waits, and kills what does not exit
in time; stopping a whole set of processes at once; and running a short command that must succeed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def bin_dir() -> Path:
    """The folder of the built binaries (chatixia, chatixia-registry, chatixia-sidecar, rtc-interop-peer):
    $CHATIXIA_BIN_DIR, which every run.sh sets."""
    return Path(os.environ["CHATIXIA_BIN_DIR"])


class ManagedProcess:
    process: subprocess.Popen | None = None
    log_path: Path
    #: Seconds a stop waits before it kills.
    stop_timeout: float = 10

    def spawn(self, command: list, env: dict, cwd: Path | None = None) -> subprocess.Popen:
        """Starts `command` with stdout and stderr appended to the log file."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=log)
        return self.process

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, sig: int = signal.SIGTERM, timeout: float | None = None) -> int | None:
        """Sends `sig` and returns the exit status, or None when the process had to be killed."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        return self.process.returncode if self.process else None


def stop_all(processes: list, timeout: float = 15) -> None:
    """SIGTERM to every process (a Popen or a ManagedProcess) still running, then SIGKILL to any still there
    after `timeout`."""
    popens = [p.process if isinstance(p, ManagedProcess) else p for p in processes]
    popens = [p for p in popens if p is not None]
    for process in popens:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in popens:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_checked(*command: str) -> str:
    """Runs `command` to its end and returns its stdout; a non-zero exit fails the test with its stderr."""
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed: {result.stderr}"
    return result.stdout
