"""Network namespaces for the end-to-end suite: two private networks behind a router, with veth links and
iptables rules that a test creates inside the private namespace its run.sh starts (ip and iptables act on that
namespace only, so nothing here touches the machine's own network)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pysupport.processes import run_checked


class Netns:
    """Two private networks behind a router, all inside run.sh's namespace:

        ns e2e-a (10.1.0.2) --veth-- [router: 10.1.0.1 | 10.2.0.1, services on 10.0.0.1] --veth-- ns e2e-b (10.2.0.2)

    The router is run.sh's namespace itself; the registry and coturn listen there on 10.0.0.1, which both
    sides reach through their default route. It forwards between the sides unless `block()` adds iptables
    DROP rules for traffic between 10.1.0.0/24 and 10.2.0.0/24 (only the direct path: the services on the
    router stay reachable)."""

    SERVICE = "10.0.0.1"
    SIDES = {"a": ("10.1.0.1", "10.1.0.2"), "b": ("10.2.0.1", "10.2.0.2")}

    def __init__(self):
        self.names = {side: f"e2e-{side}-{os.getpid()}" for side in self.SIDES}
        self.addresses = {side: inside for side, (_, inside) in self.SIDES.items()}
        self.rules: list[list[str]] = []

    def address(self, side: str) -> str:
        return self.addresses[side]

    def move(self, side: str, address: str) -> None:
        """Gives `side`'s host another address in its network, as a laptop that joins another access point gets one:
        the old address goes away, and with it whatever was bound to it (sockets, connections)."""
        ns, device, router = self.names[side], f"ve-{side}-in", self.SIDES[side][0]
        run_checked("ip", "netns", "exec", ns, "ip", "addr", "del", f"{self.addresses[side]}/24", "dev", device)
        run_checked("ip", "netns", "exec", ns, "ip", "addr", "add", f"{address}/24", "dev", device)
        run_checked("ip", "netns", "exec", ns, "ip", "route", "replace", "default", "via", router)
        self.addresses[side] = address

    def up(self) -> "Netns":
        run_checked("ip", "link", "set", "lo", "up")
        if self.SERVICE not in run_checked("ip", "-4", "addr", "show", "dev", "lo"):
            run_checked("ip", "addr", "add", f"{self.SERVICE}/32", "dev", "lo")
        Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
        for side, (router, inside) in self.SIDES.items():
            ns, outer, inner = self.names[side], f"ve-{side}", f"ve-{side}-in"
            run_checked("ip", "netns", "add", ns)
            run_checked("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
            run_checked("ip", "link", "set", inner, "netns", ns)
            run_checked("ip", "addr", "add", f"{router}/24", "dev", outer)
            run_checked("ip", "link", "set", outer, "up")
            for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{inside}/24", "dev", inner],
                            ["ip", "link", "set", inner, "up"], ["ip", "route", "add", "default", "via", router]):
                run_checked("ip", "netns", "exec", ns, *command)
        return self

    def down(self) -> None:
        self.unblock()
        for side, ns in self.names.items():
            subprocess.run(["ip", "link", "del", f"ve-{side}"], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def block(self, *, udp_only: bool = False) -> None:
        """DROPs forwarded traffic between the two sides (only UDP with `udp_only`)."""
        for source, destination in (("10.1.0.0/24", "10.2.0.0/24"), ("10.2.0.0/24", "10.1.0.0/24")):
            rule = ["-s", source, "-d", destination, *(["-p", "udp"] if udp_only else []), "-j", "DROP"]
            run_checked("iptables", "-I", "FORWARD", *rule)
            self.rules.append(rule)

    def unblock(self) -> None:
        for rule in self.rules:
            subprocess.run(["iptables", "-D", "FORWARD", *rule], capture_output=True)
        self.rules.clear()

    def dropped_packets(self) -> int:
        """Packets the DROP rules have caught so far."""
        out = run_checked("iptables", "-L", "FORWARD", "-v", "-n", "-x")
        return sum(int(line.split()[0]) for line in out.splitlines() if len(line.split()) > 2 and line.split()[2] == "DROP")
