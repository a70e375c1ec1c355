"""Free ports on loopback, for the processes the tests and benchmarks start."""

from __future__ import annotations

import socket


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def free_udp_port(address: str = "127.0.0.1") -> int:
    """A UDP port nobody has bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def free_tcp_and_udp_port(address: str = "127.0.0.1", excluding: tuple[int, ...] = ()) -> int:
    """A port free for both TCP and UDP right now, other than `excluding` (UDP and TCP probes can hand out the
    same number, so a server listening on two ports of each kind must not take them one probe each)."""
    while True:
        port = free_udp_port(address)
        if port in excluding:
            continue
        with socket.socket() as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
        return port
