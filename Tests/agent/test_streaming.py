"""Streamed replies: an `agent_prompt` from the mesh is answered with `agent_stream_chunk`s as the LLM streams,
then the `agent_response`, all over a real DataChannel. The requester is a bare sidecar driven over its IPC socket."""

from __future__ import annotations

import time

from a2a.helpers import get_artifact_text, get_message_text
from a2a.types.a2a_pb2 import TaskState

from agents import ScriptedLLM
from pysupport.a2a import a2a, message, send
from pysupport.sidecar import Sidecar
from pysupport.waits import wait_until

PIECES = ["Streams ", "arrive ", "piece ", "by piece."]


def test_an_agent_prompt_is_answered_in_stream_chunks_before_the_reply(agents, registry, workdir):
    llm = ScriptedLLM(pieces=PIECES, gap=0.2)
    requester = Sidecar(registry, workdir, "sc-8").start()
    ipc = requester.connect()
    try:
        agents("alpha", peer="sc-1", extra_env=llm.env)
        ipc.next("peer_connected", timeout=30, where=lambda line: line["payload"]["peer_id"] == "sc-1")
        prompt = {"type": "agent_prompt", "request_id": "req000000001", "source_agent": "tester", "target_agent": "alpha", "payload": {"message": "how?"}}
        ipc.send("send", {"target_peer": "sc-1", "message": prompt}, id_="s1")
        ipc.next("ack", where=lambda line: line["payload"].get("id") == "s1")

        chunks, arrivals = [], []
        while True:
            message = ipc.next("message", timeout=30, where=lambda line: line["payload"]["message"]["type"] != "agent_status")["payload"]["message"]
            if message["type"] != "agent_stream_chunk":
                break
            chunks.append(message)
            arrivals.append(time.monotonic())
        reply_at = time.monotonic()
        assert message["type"] == "agent_response", message
        assert message["request_id"] == "req000000001" and message["target_agent"] == "tester" and message["source_agent"] == "alpha"
        assert message["payload"] == {"result": "".join(PIECES), "error": ""}

        assert [chunk["payload"]["delta"] for chunk in chunks] == PIECES
        assert [chunk["payload"]["index"] for chunk in chunks] == list(range(len(PIECES)))
        assert all(chunk["request_id"] == "req000000001" and chunk["source_agent"] == "alpha" and chunk["target_agent"] == "tester" for chunk in chunks)
        # The first piece came while the LLM was still writing the rest (0.2 s between pieces).
        assert reply_at - arrivals[0] > 0.4, (arrivals, reply_at)
        assert llm.requests[0]["stream"] is True
    finally:
        ipc.close()
        requester.stop()
        llm.close()


def test_a_prompt_without_a_request_id_is_a_message_and_is_not_streamed(agents, registry, workdir):
    llm = ScriptedLLM(pieces=PIECES)
    requester = Sidecar(registry, workdir, "sc-8").start()
    ipc = requester.connect()
    try:
        alpha = agents("alpha", peer="sc-1", extra_env=llm.env)
        ipc.next("peer_connected", timeout=30, where=lambda line: line["payload"]["peer_id"] == "sc-1")
        note = {"type": "agent_prompt", "source_agent": "tester", "target_agent": "alpha", "payload": {"message": "fyi", "direct": True}}
        ipc.send("send", {"target_peer": "sc-1", "message": note})
        wait_until(lambda: "text=fyi" in alpha.log(), "alpha to log the message")
        assert llm.requests == []
    finally:
        ipc.close()
        requester.stop()
        llm.close()


def test_an_a2a_stream_carries_the_answer_as_the_llm_writes_it(agents, registry):
    llm = ScriptedLLM(pieces=PIECES, gap=0.3)
    try:
        agents("alpha", peer="sc-1", extra_env=llm.env)
        wait_until(lambda: "user_intervention" in registry.get("/api/registry/agents/alpha")["capabilities"]["skills"], "alpha to offer prompts")
        events = a2a(send(message(text="how do streams arrive?")), f"{registry.url}/a2a/agents/alpha", registry.keys.admin, streaming=True)
        kinds = [event.WhichOneof("payload") for event in events]
        assert kinds[0] == "task" and kinds[-1] == "status_update", kinds
        texts = [get_artifact_text(event.artifact_update.artifact) for event in events if event.HasField("artifact_update")]
        # The answer grew piece by piece (each update the whole text so far) before the finished result.
        assert len(texts) >= 3 and texts[-1] == "".join(PIECES), texts
        assert all("".join(PIECES).startswith(text) for text in texts) and texts[0] != texts[-1], texts
        assert [event.artifact_update.last_chunk for event in events if event.HasField("artifact_update")][-1] is True
        final = events[-1].status_update.status
        assert TaskState.Name(final.state) == "TASK_STATE_COMPLETED" and get_message_text(final.message) == "".join(PIECES)
        assert llm.requests[0]["stream"] is True
    finally:
        llm.close()
