"""What every test-managed process (registry, sidecar, agent) shares: its log file, kill -9, and a stop
that signals, waits, and kills what does not exit in time."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path


class ManagedProcess:
    process: subprocess.Popen | None = None
    log_path: Path
    #: Seconds a stop waits before it kills.
    stop_timeout: float = 10

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
