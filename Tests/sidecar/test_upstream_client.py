"""The original Python client, chatixia 0.4.3 from PyPI, drives our sidecar unchanged: its MeshClient
starts our binary itself (as `chatixia run` does), then sends, requests and lists peers over our IPC."""

from __future__ import annotations

import asyncio
import os
import threading

from chatixia.core.mesh_client import MeshClient, MeshMessage

from pysupport.processes import bin_dir


def answer_requests(agent, stop: threading.Event) -> None:
    """Agent B: answers every task_request with a task_response carrying the same request_id."""
    while not stop.is_set():
        try:
            line = agent.next("message", timeout=0.5)
        except AssertionError:
            continue
        request = line["payload"]["message"]
        if request["type"] == "task_request":
            response = {"type": "task_response", "request_id": request["request_id"], "source_agent": "beta",
                        "target_agent": request["source_agent"], "payload": {"result": request["payload"]["message"].upper(), "error": None}}
            agent.send("send", {"target_peer": line["payload"]["from_peer"], "message": response})


def test_chatixia_0_4_3_mesh_client_drives_our_sidecar(sidecars, registry, workdir, monkeypatch):
    beta_sidecar = sidecars("sc-2")
    beta = beta_sidecar.connect()

    # The environment `chatixia run` gives its sidecar: parent env plus IPC_SOCKET (set by MeshClient).
    monkeypatch.setenv("SIGNALING_URL", f"ws://127.0.0.1:{registry.port}/ws")
    monkeypatch.setenv("API_KEY", registry.keys.for_peer("sc-1"))
    monkeypatch.setenv("ICE_HOST_ADDRESSES", "127.0.0.1")
    monkeypatch.setenv("LOG_LEVEL", "info")
    socket_path = str(workdir / "chatixia-alpha.sock")

    async def scenario() -> None:
        client = MeshClient(socket_path=socket_path, sidecar_binary=str(bin_dir() / "chatixia-sidecar"))
        await client.start()
        try:
            for _ in range(200):
                if client.is_peer_connected("sc-2"):
                    break
                await asyncio.sleep(0.05)
            assert client.peers == {"sc-2"}
            assert await client.list_peers() == ["sc-2"]

            # Fire-and-forget send: arrives at beta exactly as the client serialized it.
            note = MeshMessage("agent_prompt", request_id="n-1", source_agent="alpha", target_agent="beta",
                               payload={"message": "hello", "direct": True})
            await client.send("sc-2", note)
            arrived = beta.next("message")["payload"]
            assert arrived == {"from_peer": "sc-1", "message": note.to_dict()}

            # Request/response matched by request_id, answered by beta's agent.
            stop = threading.Event()
            worker = threading.Thread(target=answer_requests, args=(beta, stop), daemon=True)
            worker.start()
            try:
                reply = await client.request("sc-2", MeshMessage("task_request", source_agent="alpha", target_agent="beta",
                                                                 payload={"message": "shout this", "skill": "upper"}), timeout=15)
                assert reply["type"] == "task_response" and reply["payload"]["result"] == "SHOUT THIS"

                # A mesh-level ping is answered by beta's sidecar itself.
                pong = await client.request("sc-2", MeshMessage("ping", source_agent="alpha", target_agent="beta"), timeout=15)
                assert pong["type"] == "pong" and pong["source_agent"] == "beta"
            finally:
                stop.set()
                worker.join()
        finally:
            await client.stop()
        # MeshClient.stop() terminates the sidecar: a clean exit.
        assert client._sidecar_proc.returncode == 0

    asyncio.run(scenario())
    assert beta.next("peer_disconnected", timeout=10)["payload"] == {"peer_id": "sc-1"}
    assert os.path.exists(socket_path.replace(".sock", ".log"))
