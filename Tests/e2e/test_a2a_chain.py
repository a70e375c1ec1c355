"""Issue 13's chain, end to end: an A2A client asks the mesh; the registry routes to agent A; A delegates over its
DataChannel to agent B; B calls an outside A2A agent; the answer streams back to the first client.

- The client is the official a2a-sdk's, streaming (SendStreamingMessage): it reads the mesh's card at the registry's
  /.well-known/agent-card.json and sends to the interface the card names, POST /a2a, with an agent key of its own.
- alpha (A) offers the built-in skill `delegate` and nothing else, so the registry hands the message, whose skill is
  `delegate`, to alpha. `delegate` is itself the handler that delegates: it asks the target agent over the DataChannel
  when their sidecars are connected (else through the queue), with no LLM involved.
- bravo (B) names the outside agent under `a2a_agents:` in its agent.yaml: pysupport.a2a_server's teller, a real
  a2a-sdk server whose skill `tell` streams its answer a line at a time. So bravo has the skill `teller_tell`.

The answer streams back as the teller writes it: bravo asks the teller with SendStreamingMessage (its card declares
streaming) and hands each line on as a `task_stream_chunk` over the DataChannel (alpha's `task_request` asked for
them with `"stream": true`); alpha's `delegate` passes them to the task's progress reports, which the gateway sends the
client as `artifactUpdate`s with `lastChunk: false`, each holding the answer so far, before the finished result."""

from __future__ import annotations

import asyncio

from a2a.helpers import get_artifact_text, get_message_text
from a2a.types.a2a_pb2 import TaskState

from pysupport.a2a import a2a, connect, message, send_timed
from pysupport.a2a_server import TELL_GAP, OutsideA2A, tale
from pysupport.agent import Agent
from pysupport.ports import free_port
from pysupport.waits import wait_until

S = TaskState
SECRET = "teller-secret-1"
CLIENT = "a2a-client"
QUESTION = "how does an answer cross the mesh?"


def test_an_a2a_client_asks_the_mesh_and_an_outside_agent_answers_through_two_agents(workdir, cleanup, new_registry):
    registry = new_registry(["alpha", "bravo", CLIENT]).start()
    cleanup(registry)
    outside = OutsideA2A(workdir, free_port(), SECRET).start()
    cleanup(outside)
    bravo = Agent.create(registry, workdir, "bravo", peer="bravo", builtin=[], extra_env={"TELLER_KEY": SECRET},
                         manifest_extra=f"a2a_agents:\n  teller:\n    url: {outside.agent_url('teller')}\n"
                                        "    headers:\n      x-api-key: \"${TELLER_KEY}\"\n").start()
    cleanup(bravo)
    alpha = Agent.create(registry, workdir, "alpha", peer="alpha", builtin=["delegate"]).start()
    cleanup(alpha)
    wait_until(lambda: ("alpha", "bravo") in registry.edges() and alpha.sees("bravo") and bravo.sees("alpha"),
               "the DataChannel between alpha and bravo", timeout=30)
    assert bravo.log_lines("A2A agent connected", "a2a_agent=teller", "skills=1"), bravo.log()

    # The teller streams when asked to: asked directly, its first line arrives before it has written the last.
    answer = "\n".join(tale(QUESTION))
    writing = (len(tale(QUESTION)) - 1) * TELL_GAP  # from the request to the last line
    direct = a2a(send_timed(message(skill="tell", text=QUESTION)), outside.agent_url("teller"), SECRET, streaming=True)
    chunks = [(at, get_artifact_text(event.artifact_update.artifact)) for at, event in direct if event.HasField("artifact_update")]
    assert [text for _, text in chunks] == tale(QUESTION), chunks
    asked = [r for r in outside.requests() if r["rpc_method"] == "SendStreamingMessage"]
    assert len(asked) == 1 and chunks[0][0] < asked[0]["at"] + writing <= chunks[-1][0], (asked, chunks)
    seen_before = len(outside.requests())

    # The client asks the mesh.
    async def ask():
        async with connect(registry.url, registry.keys.for_peer(CLIENT), streaming=True) as (client, card):
            request = message(skill="delegate", data={"target_agent_id": "bravo", "skill": "teller_tell"}, text=QUESTION)
            return card, await send_timed(request)(client)
    card, events = asyncio.run(ask())
    assert [interface.url for interface in card.supported_interfaces] == [f"{registry.url}/a2a"]
    tags = {skill.id: list(skill.tags) for skill in card.skills}
    assert (tags["delegate"], tags["teller_tell"]) == (["chatixia", "alpha"], ["chatixia", "bravo"]), tags

    # What streamed back: the task at once; the answer so far, growing a line at a time as the teller writes it (the
    # first line long before the teller has written its last); the whole answer as the result artifact; then the
    # completed status, which ends the stream.
    kinds = [event.WhichOneof("payload") for _, event in events]
    assert kinds[0] == "task" and kinds[-1] == "status_update", kinds
    task = events[0][1].task
    assert task.status.state in (S.TASK_STATE_SUBMITTED, S.TASK_STATE_WORKING), task
    statuses = [event.status_update for _, event in events if event.HasField("status_update")]
    assert [S.Name(status.status.state) for status in statuses[:-1]] in ([], ["TASK_STATE_WORKING"]), statuses
    final = statuses[-1].status
    assert (S.Name(final.state), get_message_text(final.message)) == ("TASK_STATE_COMPLETED", answer), final
    artifacts = [(at, event.artifact_update) for at, event in events if event.HasField("artifact_update")]
    partial = [(at, get_artifact_text(update.artifact)) for at, update in artifacts if not update.last_chunk]
    finished = [(at, get_artifact_text(update.artifact)) for at, update in artifacts if update.last_chunk]
    lines = tale(QUESTION)
    so_far = ["\n".join(lines[:n]) for n in range(1, len(lines) + 1)]
    assert [text for _, text in partial] in (so_far, so_far[:-1]), partial  # the last may come only as the result
    assert [text for _, text in finished] == [answer], finished
    assert kinds.index("artifact_update") < len(kinds) - 1, kinds  # the answer came before the stream ended
    assert {update.task_id for _, update in artifacts} | {status.task_id for status in statuses} == {task.id}

    # The registry ran it as one task of alpha's: bravo's part went over the DataChannel, not through the queue.
    stored = registry.task(task.id)
    assert (stored["skill"], stored["assigned_agent_id"], stored["state"], stored["result"]) == ("delegate", "alpha", "completed", answer), stored
    assert stored["payload"] == {"target_agent_id": "bravo", "skill": "teller_tell", "message": QUESTION}, stored
    assert stored["submitted_by"]["peer_id"] == CLIENT, stored
    assert [t["id"] for t in registry.tasks()] == [task.id], registry.tasks()
    assert alpha.log_lines("delegated over the DataChannel", "target=bravo", "peer=bravo", "skill=teller_tell"), alpha.log()
    assert not alpha.log_lines("delegated through the registry queue"), alpha.log()
    assert bravo.log_lines("P2P task completed", "from=alpha", "skill=teller_tell"), bravo.log()
    # bravo read the teller's card at its start and asked it once, with its key, streaming.
    requests = outside.requests()
    assert (requests[0]["path"], requests[0]["api_key"], requests[0]["a2a_version"]) == ("/teller/.well-known/agent-card.json", SECRET, "1.0"), requests
    calls = requests[seen_before:]
    assert [(r["method"], r["path"], r["rpc_method"], r["api_key"], r["a2a_version"], r["allowed"]) for r in calls] == \
        [("POST", "/teller/a2a", "SendStreamingMessage", SECRET, "1.0", True)], calls
    # The client had the task before the teller had written its last line, and the first line too (same machine,
    # same clock): the pieces were relayed as they were written, not gathered at the end.
    assert events[0][0] < calls[0]["at"] + writing, (events[0][0], calls[0]["at"])
    assert partial[0][0] < calls[0]["at"] + writing <= finished[0][0], (partial, calls[0]["at"], finished)
