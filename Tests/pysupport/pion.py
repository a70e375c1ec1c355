"""Our pion/webrtc (Go) programs, built by scripts/lib.sh (ensure_pion_binaries) into $PION_BIN_DIR: pion-interop-peer
(Tests/interop/pion), which speaks rtc-interop-peer's JSON lines and so runs the same way, and pion-bench
(bench/rtc/pion)."""

from __future__ import annotations

import os
from pathlib import Path

from pysupport.rtc_peer import InteropPeer


def pion_bin_dir() -> Path:
    return Path(os.environ["PION_BIN_DIR"])


class PionPeer(InteropPeer):
    @staticmethod
    def executable() -> Path:
        return pion_bin_dir() / "pion-interop-peer"
