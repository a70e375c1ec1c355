"""Agent-to-agent benchmark through the whole path (agent IPC -> sidecar -> DataChannel -> sidecar ->
agent IPC) beside aiortc <-> aiortc in two processes, in one run on loopback. Prints a table and writes it
to docs/BENCHMARKS.md between the sidecar-bench markers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pysupport.ipc import IPCClient
from pysupport.measure import memory_mb
from pysupport.processes import stop_all
from pysupport.registry import Keys, Registry
from pysupport.report import arguments, cell, machine, publish
from pysupport.sidecar import Sidecar
from pysupport.waits import wait_until

REPO = Path(__file__).resolve().parents[2]
PEERS = 21  # sidecar A plus 20 others for the RSS figure
KEYS = Keys(admin="bench-sidecar-admin-key", agent="bench-sidecar-key-{peer}")


def peer(index: int) -> str:
    return f"bench-{index:03d}"


def send_line(target: str, text: str) -> bytes:
    message = {"type": "task_request", "request_id": "b", "source_agent": "a", "target_agent": "b", "payload": {"message": text}}
    return (json.dumps({"type": "send", "payload": {"target_peer": target, "message": message}}, separators=(",", ":")) + "\n").encode()


def round_trip_times(a: IPCClient, b: IPCClient, target: str, back: str, round_trips: int) -> list[float]:
    """Agent B echoes every message back to A, whose reader thread sends the next as the echo arrives (as
    rtc-bench's peer does on its loop), so no hand-over between the agent's threads is timed. Sorted seconds."""
    echo_back = send_line(back, "x" * 1024)
    b.on_line = lambda line: b.send_raw(echo_back)
    ping = send_line(target, "x" * 1024)
    samples, total, finished = [], round_trips + round_trips // 10, threading.Event()
    started = [0.0]

    def echoed(line):
        samples.append(time.perf_counter() - started[0])
        if len(samples) == total:
            finished.set()
            return
        started[0] = time.perf_counter()
        a.send_raw(ping)
    a.on_line = echoed
    started[0] = time.perf_counter()
    a.send_raw(ping)
    if not finished.wait(600):
        raise TimeoutError(f"{len(samples)} of {total} round trips")
    return sorted(samples[round_trips // 10:])  # the first tenth warms up


def measure_relays(rtc_bench: Path, workdir: Path, round_trips: int) -> dict:
    """The same agents and round trips through two zero-work relays (rtc-bench relay) in place of the sidecars."""
    ports = (41001, 41002)  # the private network namespace has nothing else on them
    paths = [workdir / f"relay{index}.sock" for index in range(2)]
    relays = [subprocess.Popen([str(rtc_bench), "relay", str(paths[index]), str(ports[index]), str(ports[1 - index])]) for index in range(2)]
    try:
        def connected(path: Path) -> IPCClient | None:
            try:
                return IPCClient(path)
            except OSError:  # not listening yet
                return None
        clients = [wait_until(lambda: connected(path), f"relay socket {path.name}", interval=0.01) for path in paths]
        samples = round_trip_times(clients[0], clients[1], peer(1), peer(0), round_trips)
        return {"stack": "agent -> IPC -> zero-work relay -> UDP -> zero-work relay -> IPC -> agent (the floor of any sidecar)",
                "rtt_p50_us": samples[len(samples) // 2] * 1e6, "rtt_p99_us": samples[int(len(samples) * 0.99)] * 1e6}
    finally:
        for relay in relays:
            relay.kill()
            relay.wait()


def measure_mesh(bin_dir: Path, workdir: Path, megabytes: int, round_trips: int, messages: int) -> dict:
    """Agents A and B are minimal: raw IPC lines over their sidecars' sockets, a reader thread handing each
    line to a callback on the hot paths."""
    registry = Registry(workdir, KEYS, [peer(i) for i in range(PEERS)], db=":memory:", log_level="error", binaries=bin_dir)
    sidecars: list[Sidecar] = []

    def start_sidecar(index: int) -> Sidecar:
        sidecar = Sidecar(registry, workdir, peer(index), socket_path=workdir / f"s{index}.sock", log_level="error", binaries=bin_dir)
        sidecars.append(sidecar)
        return sidecar.start(interval=0.005)

    try:
        registry.start()
        a = start_sidecar(0).connect()
        started = time.perf_counter()
        b = start_sidecar(1).connect()
        first = a.next("peer_connected", timeout=30)
        b.next("peer_connected", timeout=30)
        setup_ms = (time.perf_counter() - started) * 1000
        target = peer(1)

        # Idle memory with one peer, then with twenty (the mesh the traffic below runs beside).
        pid = sidecars[0].process.pid
        rss_one, anon_one = memory_mb(pid), memory_mb(pid, "RssAnon")
        for index in range(2, PEERS):
            start_sidecar(index)
        connected = {first["payload"]["peer_id"]}
        deadline = time.monotonic() + 120
        while len(connected) < PEERS - 1 and time.monotonic() < deadline:
            connected.update(line["payload"]["peer_id"] for line in a.drain() if line["type"] == "peer_connected")
            time.sleep(0.05)
        time.sleep(1)
        rss_twenty, anon_twenty = memory_mb(pid), memory_mb(pid, "RssAnon")

        samples = round_trip_times(a, b, target, peer(0), round_trips)

        def stream(size: int, count: int) -> float:
            done = threading.Event()
            received = [0]

            def count_line(line):
                received[0] += 1
                if received[0] == count:
                    done.set()
            b.on_line = count_line
            line = send_line(target, "y" * size)
            burst = line * 64
            t0 = time.perf_counter()
            for _ in range(count // 64):
                a.send_raw(burst)
            for _ in range(count % 64):
                a.send_raw(line)
            if not done.wait(600):
                raise TimeoutError(f"{received[0]} of {count} messages arrived")
            return time.perf_counter() - t0

        bulk_count = (megabytes << 20) // (64 << 10)
        bulk_seconds = stream(64 << 10, bulk_count)
        small_seconds = stream(1000, messages)
        return {
            "stack": "agent -> IPC -> chatixia-sidecar -> DataChannel -> chatixia-sidecar -> IPC -> agent",
            "setup_ms": setup_ms,
            "rtt_p50_us": samples[len(samples) // 2] * 1e6,
            "rtt_p99_us": samples[int(len(samples) * 0.99)] * 1e6,
            "bulk_mb_per_s": bulk_count * (64 << 10) / 1e6 / bulk_seconds,
            "messages_per_s": messages / small_seconds,
            "rss_1_peer_mb": rss_one,
            "rss_20_peers_mb": rss_twenty if len(connected) == PEERS - 1 else None,
            "rss_after_traffic_mb": memory_mb(pid),
            "anon_1_peer_mb": anon_one,
            "anon_20_peers_mb": anon_twenty if len(connected) == PEERS - 1 else None,
            "peers_connected": len(connected),
        }
    finally:
        stop_all([*sidecars, registry], timeout=10)


def main() -> None:
    parser = arguments(megabytes=200, round_trips=2000, messages=50_000)
    parser.add_argument("--rtc-bench", required=True, help="the release rtc-bench binary (bench/rtc), for the bare stack's row")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine skews every stack in the run
    with tempfile.TemporaryDirectory(prefix="sc-bench-") as workdir:
        print("measuring: the agent-to-agent path through our sidecars", file=sys.stderr)
        ours = measure_mesh(Path(args.bin_dir), Path(workdir), args.megabytes, args.round_trips, args.messages)
    print("measuring: aiortc <-> aiortc (bare DataChannel, two processes)", file=sys.stderr)
    result = subprocess.run([sys.executable, str(REPO / "bench" / "rtc" / "aiortc_pair.py"), str(args.megabytes), str(args.round_trips), str(args.messages)],
                            capture_output=True, text=True, check=True, timeout=1800)
    aiortc = json.loads(result.stdout.strip().splitlines()[-1])
    print("measuring: the same agents through zero-work relays", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="sc-relay-") as workdir:
        relays = measure_relays(Path(args.rtc_bench), Path(workdir), args.round_trips)
    print("measuring: our bare stack (rtc-bench, both peers in one process)", file=sys.stderr)
    bare = json.loads(subprocess.run([str(Path(args.rtc_bench)), "ours", "--megabytes", str(args.megabytes), "--round-trips", str(args.round_trips),
                                      "--messages", str(args.messages)], capture_output=True, text=True, check=True, timeout=900).stdout.strip().splitlines()[-1])
    bare["stack"] = "our bare stack: DataChannel <-> DataChannel in one process (rtc-bench)"

    def memory(r: dict, which: str) -> str:
        if r.get(f"rss_{which}_mb") is None:
            return "–"
        return f"{cell(r[f'rss_{which}_mb'])} ({cell(r[f'anon_{which}_mb'])})"

    lines = ["| path | setup (ms) | RTT p50 (µs) | RTT p99 (µs) | bulk 64 KiB (MB/s) | 1000 B msgs/s | sidecar RSS (anon), 1 peer (MB) | sidecar RSS (anon), 20 peers (MB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in (ours, relays, bare, aiortc):
        lines.append(f"| {r['stack']} | {cell(r.get('setup_ms'))} | {cell(r.get('rtt_p50_us'), 0)} | {cell(r.get('rtt_p99_us'), 0)} | "
                     f"{cell(r.get('bulk_mb_per_s'))} | {cell(r.get('messages_per_s'), 0)} | {memory(r, '1_peer')} | {memory(r, '20_peers')} |")
    lines.append("")
    lines.append(f"Ratios in this run (targets from issue 4 in brackets): RTT p50 aiortc/ours {aiortc['rtt_p50_us'] / ours['rtt_p50_us']:.2f}× [> 1], "
                 f"bulk ours/aiortc {ours['bulk_mb_per_s'] / aiortc['bulk_mb_per_s']:.2f}× [≥ 3], sidecar RSS with 20 peers "
                 f"{cell(ours['rss_20_peers_mb'])} MB [< 40 MB] ({ours['peers_connected']} of {PEERS - 1} peers connected; "
                 f"{cell(ours['rss_after_traffic_mb'])} MB after the traffic).")
    lines.append("")
    lines.append(f"Against our bare stack in this run (issue 14's targets in brackets): RTT p50 ours/bare {ours['rtt_p50_us'] / bare['rtt_p50_us']:.2f}× [≤ 1.5], "
                 f"bulk ours/bare {ours['bulk_mb_per_s'] / bare['bulk_mb_per_s']:.2f}× [≥ 0.8]. "
                 f"The zero-work relays' RTT alone is {relays['rtt_p50_us'] / bare['rtt_p50_us']:.2f}× the bare stack's; "
                 f"ours is {ours['rtt_p50_us'] / relays['rtt_p50_us']:.2f}× theirs, {ours['rtt_p50_us'] - relays['rtt_p50_us']:.0f} µs more for both sidecars' work. "
                 f"The RTT target, 1.5× the bare stack's ({1.5 * bare['rtt_p50_us']:.0f} µs), leaves both sidecars {1.5 * bare['rtt_p50_us'] - relays['rtt_p50_us']:.0f} µs "
                 f"beyond the relays' forwarding for all their work, of which the DataChannel work alone (encryption, SCTP, both ways) takes the bare stack "
                 f"{bare['rtt_p50_us']:.0f} µs a round trip: a sidecar on our stack cannot be faster than the relays' and the bare stack's round trips together, "
                 f"less the datagram hops both count.")
    header = (f"{machine(load)}, loopback in a "
              f"private network namespace, release builds. Our path includes both agents' IPC (Python agents writing and reading JSON lines); "
              f"the bare stack is rtc-bench's two peer connections in one process on two event loops (bench/rtc), aiortc a bare DataChannel between two processes. "
              f"The zero-work relays (`rtc-bench relay`) stand in for the sidecars with the same agents: each forwards its agent's bytes to the other as UDP datagrams and back, "
              f"one thread that polls for 300 µs after each forward as our loops may (`BUSY_POLL_US`'s default), no parsing, no encryption: what any sidecar costs these agents at the least on this machine. "
              f"Round trips are driven from the receiving side: each echo's arrival sends the next (agent A's reader thread, rtc-bench's event loop). RSS is sidecar A's, idle, with 1 and then 20 peers (in brackets its anonymous memory: RSS less the shared libraries' pages); the traffic then runs between A and B while all 20 channels stay open. Setup for ours is from starting the second sidecar process to both agents "
              f"seeing `peer_connected` (process start, token, signaling, ICE, DTLS, SCTP); for aiortc from createOffer to open. "
              f"{args.megabytes} MB in 64 KiB messages, {args.round_trips} round trips of 1 KiB, {args.messages:,} messages of 1000 B.")
    publish("\n".join(lines), "sidecar-bench", "Agent-to-agent through the sidecars (bench/sidecar)", header, write=not args.no_write)


if __name__ == "__main__":
    main()
