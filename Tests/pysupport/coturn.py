"""A real coturn (Debian `turnserver`) on 127.0.0.1 for tests, with coturn's `use-auth-secret`
time-limited credentials: username "<expiry>:<peer>", password base64(HMAC-SHA1(secret, username))."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import shutil
import subprocess
import time
from pathlib import Path

from pysupport.ports import free_port, free_tcp_and_udp_port, free_udp_port
from pysupport.processes import ManagedProcess
from pysupport.waits import wait_until

RELAY_PORTS = range(50000, 50200)


class Coturn(ManagedProcess):
    def __init__(self, workdir: Path, secret: str, realm: str = "chatixia.test", address: str = "127.0.0.1",
                 tls: tuple[Path, Path] | None = None):
        """With `tls` (certificate, key) it also listens for TCP on `port` and for TLS on `tls_port`."""
        self.secret = secret
        self.tls = tls
        self.tls_port = free_port(address) if tls else None
        self.realm = realm
        self.address = address
        # UDP on `port`, and with TLS also TCP there, beside TLS on `tls_port`.
        self.port = free_tcp_and_udp_port(address, excluding=(self.tls_port,)) if tls else free_udp_port(address)
        self.log_path = workdir / "turnserver.log"
        self.workdir = workdir
        self.stop_timeout = 5

    @property
    def url(self) -> str:
        return f"turn:{self.address}:{self.port}?transport=udp"

    @property
    def tcp_url(self) -> str:
        return f"turn:{self.address}:{self.port}?transport=tcp"

    @property
    def tls_url(self) -> str:
        return f"turns:{self.address}:{self.tls_port}"

    def credentials(self, peer: str, secret: str | None = None) -> tuple[str, str]:
        username = f"{int(time.time()) + 3600}:{peer}"
        mac = hmac.new((secret or self.secret).encode(), username.encode(), hashlib.sha1).digest()
        return username, base64.b64encode(mac).decode()

    def start(self) -> "Coturn":
        turnserver = shutil.which("turnserver") or "/usr/bin/turnserver"
        if self.tls:
            streams = [f"--tls-listening-port={self.tls_port}", f"--cert={self.tls[0]}", f"--pkey={self.tls[1]}"]
        else:
            streams = ["--no-tls", "--no-tcp"]
        self.spawn([turnserver, "-n", f"--listening-ip={self.address}", f"--relay-ip={self.address}", f"--listening-port={self.port}",
                    f"--min-port={RELAY_PORTS.start}", f"--max-port={RELAY_PORTS.stop - 1}",
                    "--use-auth-secret", f"--static-auth-secret={self.secret}", f"--realm={self.realm}",
                    # Peers and their relayed addresses are all on loopback, which coturn refuses by default.
                    "--allow-loopback-peers",
                    "--no-cli", "--no-dtls", "--no-tcp-relay", *streams,
                    f"--userdb={self.workdir / 'turndb'}", f"--pidfile={self.workdir / 'turnserver.pid'}",
                    "--log-file=stdout", "--simple-log", "--verbose"], env=None)
        ready = [f"UDP listener opened on: {self.address}:{self.port}"]
        if self.tls:
            ready.append(f"TLS/TCP listener opened on : {self.address}:{self.tls_port}")

        def listening() -> bool:
            assert self.process.poll() is None, f"turnserver exited:\n{self.log()}"
            return all(line in self.log() for line in ready)
        wait_until(listening, f"turnserver to open its listeners (log: {self.log_path})", timeout=10)
        return self


@contextlib.contextmanager
def udp_blocked_but_relays():
    """A firewall (iptables, in the caller's private network namespace) that drops every UDP datagram but those
    between coturn's relayed addresses: clients reach coturn only over TCP, and coturn still relays between
    their allocations."""
    relay = f"{RELAY_PORTS.start}:{RELAY_PORTS.stop - 1}"
    rules = [["OUTPUT", "-p", "udp", "--sport", relay, "--dport", relay, "-j", "ACCEPT"], ["OUTPUT", "-p", "udp", "-j", "DROP"]]
    for rule in rules:
        subprocess.run(["iptables", "-A", *rule], check=True)
    try:
        yield
    finally:
        for rule in reversed(rules):
            subprocess.run(["iptables", "-D", *rule], check=True)
