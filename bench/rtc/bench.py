"""Runs the WebRTC DataChannel benchmark: our stack (rtc-bench, release build), aiortc <-> aiortc in two
processes, pion <-> pion in one Go process (pion-bench, in $PION_BIN_DIR), Chromium in-page (two
RTCPeerConnections) and a raw UDP floor (ping-pong and blast), all on loopback in one run. Prints a table and writes it
to docs/BENCHMARKS.md between the rtc-bench markers; `--only STACK` (repeatable) measures just those stacks
and only prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pysupport.measure import cpu_seconds
from pysupport.pion import pion_bin_dir
from pysupport.report import arguments, cell, machine, publish

HERE = Path(__file__).resolve().parent
#: In the table's order.
STACKS = ("ours", "ours-asleep", "chromium", "aiortc", "pion", "udp")


def run_json(command: list[str]) -> dict:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {result.returncode}: {result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def chromium_cpu_seconds() -> float:
    """CPU seconds of every Chromium process (browser, renderer, network service...)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"chromium" not in cmdline.read():
                    continue
        except OSError:
            continue
        total += cpu_seconds(pid)
    return total


def chromium(megabytes: int, round_trips: int, messages: int) -> dict:
    from pysupport.chromium import WEBRTC_ON_LOOPBACK, headless_chromium

    # As in Tests/interop: root in a network namespace (no sandbox), loopback ICE allowed.
    driver = headless_chromium(*WEBRTC_ON_LOOPBACK)
    try:
        driver.set_script_timeout(900)
        driver.get((HERE / "chromium_bench.html").as_uri())
        call = lambda expression, *args: driver.execute_async_script(  # noqa: E731
            f"const done = arguments[arguments.length - 1]; {expression}.then(done, (e) => done({{error: String(e)}}));", *args)
        setup = call("window.bench.setup(arguments[0])", 7)
        rtt = call("window.bench.roundTrips(arguments[0])", round_trips)
        bulk_bytes = megabytes << 20
        cpu_before = chromium_cpu_seconds()
        bulk_seconds = call("window.bench.stream(arguments[0], arguments[1])", 64 << 10, bulk_bytes)
        cpu = chromium_cpu_seconds() - cpu_before
        small_seconds = call("window.bench.stream(arguments[0], arguments[1])", 1000, 1000 * messages)
        version = driver.capabilities.get("browserVersion", "?")
    finally:
        driver.quit()
    return {
        "stack": f"Chromium {version} in-page (two peer connections)",
        "setup_ms": setup, "rtt_p50_us": rtt["p50"], "rtt_p99_us": rtt["p99"],
        "bulk_mb_per_s": bulk_bytes / 1e6 / bulk_seconds, "messages_per_s": messages / small_seconds,
        "cpu_s_per_100mb": cpu / (bulk_bytes / 1e8),
    }


def issue_14_ratios(results: dict) -> dict:
    """Ours against the others measured in this run, with issue 14's targets; only pairs both measured."""
    ours = results.get("ours")
    if not ours:
        return {}
    ratios = {}

    def ratio(name, other, key, target, ours_over_other=True):
        if other in results and results[other].get(key) and ours.get(key):
            value = ours[key] / results[other][key] if ours_over_other else results[other][key] / ours[key]
            ratios[name] = (value, target)

    ratio("bulk (ours/raw UDP blast)", "udp", "bulk_mb_per_s", "≥ 0.5")
    ratio("bulk (ours/Chromium)", "chromium", "bulk_mb_per_s", "≥ 3")
    ratio("bulk (ours/pion)", "pion", "bulk_mb_per_s", "≥ 1.5")
    ratio("messages/s (ours/Chromium)", "chromium", "messages_per_s", "≥ 2.5")
    ratio("messages/s (ours/pion)", "pion", "messages_per_s", "≥ 2")
    ratio("RTT p50 (pion/ours)", "pion", "rtt_p50_us", "≥ 1", ours_over_other=False)
    ratio("RTT p50 (ours/raw UDP ping-pong)", "udp", "rtt_p50_us", "≤ 3")
    ratio("RTT p50 (Chromium/ours)", "chromium", "rtt_p50_us", "≥ 2", ours_over_other=False)
    if ours.get("cpu_s_per_100mb"):
        ratios["CPU s / 100 MB (ours)"] = (ours["cpu_s_per_100mb"], "≤ 1.0")
    return ratios


def table(results: list[dict], ratios: dict) -> str:
    lines = ["| stack | setup (ms) | RTT p50 (µs) | RTT p99 (µs) | bulk 64 KiB (MB/s) | 1000 B msgs/s | CPU s / 100 MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['stack']} | {cell(r.get('setup_ms'))} | {cell(r.get('rtt_p50_us'), 0)} | {cell(r.get('rtt_p99_us'), 0)} | "
                     f"{cell(r.get('bulk_mb_per_s'))} | {cell(r.get('messages_per_s'), 0)} | {cell(r.get('cpu_s_per_100mb'), 2)} |")
    if ratios:
        lines.append("")
        lines.append("Ours against the others in the same run (issue 14's targets in brackets): " + ", ".join(
            f"{name} {value:.2f}{'' if name.startswith('CPU') else '×'} [{target}]" for name, (value, target) in ratios.items()))
    return "\n".join(lines)


def main() -> None:
    parser = arguments(megabytes=200, round_trips=2000, messages=100_000)
    parser.add_argument("--only", action="append", choices=STACKS, help="measure only this stack (repeatable); never writes")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine skews every stack in the run
    sizes = [str(args.megabytes), str(args.round_trips), str(args.messages)]
    bench = str(Path(args.bin_dir) / "rtc-bench")

    measurements = {  # in the order they run
        "udp": ("raw UDP ping-pong and blast", lambda: run_json([bench, "udp", "--round-trips", sizes[1], "--megabytes", sizes[0]])),
        "ours": ("our stack (rtc-bench)", lambda: run_json([bench, "ours", "--megabytes", sizes[0], "--round-trips", sizes[1], "--messages", sizes[2]])),
        "ours-asleep": ("our stack without busy polling (rtc-bench --busy-poll-us 0)",
                        lambda: run_json([bench, "ours", "--megabytes", sizes[0], "--round-trips", sizes[1], "--messages", sizes[2], "--busy-poll-us", "0"])),
        "aiortc": ("aiortc <-> aiortc", lambda: run_json([sys.executable, str(HERE / "aiortc_pair.py"), *sizes])),
        "pion": ("pion <-> pion (pion-bench)",
                 lambda: run_json([str(pion_bin_dir() / "pion-bench"), "--megabytes", sizes[0], "--round-trips", sizes[1], "--messages", sizes[2]])),
        "chromium": ("Chromium in-page", lambda: chromium(args.megabytes, args.round_trips, args.messages)),
    }
    results = {}
    for stack, (what, measure) in measurements.items():
        if not args.only or stack in args.only:
            print(f"measuring: {what}", file=sys.stderr)
            results[stack] = measure()

    ratios = issue_14_ratios(results)
    header = (f"{machine(load)}, "
              f"loopback inside a private network namespace; {args.megabytes} MB bulk in 64 KiB messages, {args.round_trips} round trips "
              f"of 1 KiB (after a tenth as warm-up; ours and pion send each next one from the callback the echo arrives on, so no hand-over between threads is timed), {args.messages:,} messages of 1000 B; the raw UDP row's bulk is one thread blasting "
              f"{args.megabytes} MB in 1200 B datagrams at a socket another thread reads (what arrives per second), one sendto each (our "
              f"stack hands the kernel runs of equal datagrams as one write and reads them back coalesced, UDP GSO/GRO, where Linux "
              f"has them), its RTT a 1 KiB ping-pong "
              "between blocking sockets; setup is the median of 7 fresh connections "
              "(first bind to channel open, host candidates only). Our stack runs both peers in one process on two event loops, each polling "
              "instead of sleeping for a while after a message (as it does by default, `BUSY_POLL_US`: up to 300 µs; Go's scheduler spins "
              "before it parks too, and blocking sockets do not), and again with its loops sleeping between messages (`BUSY_POLL_US=0`), for the difference; pion (Go) "
              "runs both in one process too, its bulk in 65,535 B messages (its DataChannel fails on receiving a 64 KiB one); aiortc runs "
              "one peer per process; CPU counts every process of the pair.")
    publish(table([results[stack] for stack in STACKS if stack in results], ratios), "rtc-bench", "WebRTC DataChannel stack (bench/rtc)", header,
            write=not (args.no_write or args.only))


if __name__ == "__main__":
    main()
