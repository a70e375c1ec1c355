"""The sidecar suite's registry: its keys (an admin and one agent key per test peer sc-1 .. sc-8); the
processes themselves come from pysupport."""

from __future__ import annotations

from pathlib import Path

from pysupport.registry import Keys, Registry

KEYS = Keys(admin="sidecar-test-admin-key", agent="sidecar-test-key-{peer}")
PEERS = [f"sc-{i}" for i in range(1, 9)]


def new_registry(workdir: Path, **options) -> Registry:
    """A registry (not started yet) with the suite's keys; `options` as for Registry."""
    return Registry(workdir, KEYS, PEERS, log_level="warning", **options)
