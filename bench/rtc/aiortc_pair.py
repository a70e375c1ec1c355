"""aiortc <-> aiortc in two processes, measured like rtc-bench measures our stack.

Run without arguments it is the measuring side (the offerer) and starts itself with `--echo` as the
other process (the answerer); signaling goes over the child's stdin/stdout. Prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription

# aioice leaves out loopback addresses when gathering; the benchmark runs on loopback only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def answerer() -> None:
    """The child: answers each offer with a fresh connection; echoes or counts what arrives."""
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    mode = {"kind": "echo", "expect": 0, "got": 0}
    connections = []

    def emit(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    while line := await reader.readline():
        command = json.loads(line)
        if command["type"] == "offer":
            pc = RTCPeerConnection()
            connections.append(pc)

            @pc.on("datachannel")
            def on_channel(channel):
                @channel.on("message")
                def on_message(message):
                    if mode["kind"] == "echo":
                        channel.send(message)
                    else:
                        mode["got"] += len(message)
                        if mode["got"] >= mode["expect"]:
                            mode["kind"] = "idle"
                            emit({"type": "received"})

            await pc.setRemoteDescription(RTCSessionDescription(command["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            emit({"type": "answer", "sdp": pc.localDescription.sdp})
        elif command["type"] == "count":
            mode.update(kind="count", expect=command["bytes"], got=0)
            emit({"type": "counting"})
        elif command["type"] == "echo":
            mode["kind"] = "echo"
        elif command["type"] == "close":
            for pc in connections:
                await pc.close()
            connections.clear()
            emit({"type": "closed"})


class Child:
    def __init__(self, process):
        self.process = process

    async def call(self, obj, expect: str):
        self.process.stdin.write((json.dumps(obj) + "\n").encode())
        await self.process.stdin.drain()
        while True:
            reply = json.loads(await self.process.stdout.readline())
            if reply["type"] == expect:
                return reply


async def connect(child: Child):
    pc = RTCPeerConnection()
    channel = pc.createDataChannel("bench")
    opened = asyncio.get_running_loop().create_future()
    channel.on("open", lambda: opened.done() or opened.set_result(None))
    started = time.perf_counter()
    await pc.setLocalDescription(await pc.createOffer())
    answer = await child.call({"type": "offer", "sdp": pc.localDescription.sdp}, "answer")
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    await opened
    return pc, channel, time.perf_counter() - started


async def stream(child: Child, channel, size: int, total: int, pid: int) -> tuple[float, float]:
    await child.call({"type": "count", "bytes": total}, "counting")
    payload = b"\xa5" * size
    low = asyncio.Event()
    channel.bufferedAmountLowThreshold = 1 << 20
    channel.on("bufferedamountlow", low.set)
    cpu_before = cpu_seconds(os.getpid()) + cpu_seconds(pid)
    started = time.perf_counter()
    sent = 0
    while sent < total:
        channel.send(payload)
        sent += size
        if channel.bufferedAmount > 4 << 20:
            low.clear()
            await low.wait()
    while True:  # the child says "received" once every byte arrived
        reply = json.loads(await child.process.stdout.readline())
        if reply["type"] == "received":
            break
    elapsed = time.perf_counter() - started
    return elapsed, cpu_seconds(os.getpid()) + cpu_seconds(pid) - cpu_before


async def measure(megabytes: int, round_trips: int, messages: int) -> dict:
    process = await asyncio.create_subprocess_exec(sys.executable, __file__, "--echo", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    child = Child(process)
    setups = []
    for _ in range(7):
        pc, _, setup = await connect(child)
        setups.append(setup)
        await pc.close()
        await child.call({"type": "close"}, "closed")

    pc, channel, _ = await connect(child)
    echoes: asyncio.Queue = asyncio.Queue()
    channel.on("message", echoes.put_nowait)
    payload = b"\x5a" * 1024
    samples = []
    for index in range(round_trips + round_trips // 10):
        started = time.perf_counter()
        channel.send(payload)
        await echoes.get()
        if index >= round_trips // 10:
            samples.append(time.perf_counter() - started)
    samples.sort()
    channel.remove_all_listeners("message")

    bulk_bytes = megabytes << 20
    elapsed, cpu = await stream(child, channel, 64 << 10, bulk_bytes, process.pid)
    small_elapsed, _ = await stream(child, channel, 1000, 1000 * messages, process.pid)
    await pc.close()
    process.stdin.close()
    await process.wait()
    return {
        "stack": "aiortc 1.16 <-> aiortc (two processes)",
        "setup_ms": statistics.median(setups) * 1000,
        "rtt_p50_us": samples[len(samples) // 2] * 1e6,
        "rtt_p99_us": samples[int(len(samples) * 0.99)] * 1e6,
        "bulk_mb_per_s": bulk_bytes / 1e6 / elapsed,
        "messages_per_s": messages / small_elapsed,
        "cpu_s_per_100mb": cpu / (bulk_bytes / 1e8),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--echo"]:
        asyncio.run(answerer())
    else:
        megabytes, round_trips, messages = (int(value) for value in sys.argv[1:4])
        print(json.dumps(asyncio.run(measure(megabytes, round_trips, messages))))
