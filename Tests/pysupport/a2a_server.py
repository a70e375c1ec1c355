"""Outside A2A 1.0 agents for the test suites, built with the official a2a-sdk server (JSON-RPC binding, served by
uvicorn on loopback) in a process of their own, `OutsideA2A`. Every request needs the header x-api-key with the
process's secret (401 otherwise); each one is recorded as a JSON line: its HTTP method, path, A2A-Version and x-api-key
headers, whether it was let in, the JSON-RPC method of a POST (`SendMessage`, `SendStreamingMessage`, ...) and when it
came (`time.time()`).

The agents it serves, each under a path of its own (the card at <path>/.well-known/agent-card.json, the JSON-RPC
endpoint at <path>/a2a, so a manifest's `a2a_agents` entry names it by the URL `OutsideA2A.agent_url(name)`):

- `teller` (streaming declared): one skill, `tell`, which answers the text of a message with the lines `tale(text)`,
  each one an artifact chunk written `TELL_GAP` seconds after the one before (one artifact, `tale`: `append` from the
  second chunk on, `lastChunk` on the last), then completes with the status message "told". Asked with
  SendStreamingMessage, the chunks reach the caller as they are written; asked with SendMessage, the SDK gathers them
  into the finished task, whose one artifact holds the lines as its text parts.

    python -m pysupport.a2a_server PORT SECRET RECORD_FILE"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx

from pysupport.processes import ManagedProcess
from pysupport.waits import wait_until

AGENTS = ("teller",)
#: Seconds between two of the teller's chunks.
TELL_GAP = 0.4


def tale(text: str) -> list[str]:
    """The teller's answer to `text`, one chunk a line."""
    return [f"You asked the teller: {text}", "It answers a line at a time,", "and this is its last line."]


class OutsideA2A(ManagedProcess):
    """This module's server as a process on `port` behind `secret`; its log and record file in `workdir`."""

    def __init__(self, workdir: Path, port: int, secret: str, name: str = "outside-a2a"):
        self.port = port
        self.secret = secret
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.record_path = workdir / f"{name}.requests.jsonl"
        self.stop_timeout = 10

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def agent_url(self, agent: str) -> str:
        """The base URL of one of the agents (its card is under it at /.well-known/agent-card.json)."""
        return f"{self.url}/{agent}"

    def start(self, timeout: float = 30) -> "OutsideA2A":
        tests = str(Path(__file__).resolve().parents[1])  # `python -m pysupport...` needs Tests/ on the path
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))}
        self.spawn([sys.executable, "-m", "pysupport.a2a_server", str(self.port), self.secret, str(self.record_path)], env=env)
        wait_until(self._up, f"the outside A2A agents to serve their cards on {self.url}", timeout=timeout, interval=0.1)
        return self

    def _up(self) -> bool:
        assert self.process.poll() is None, f"the outside A2A agents exited with {self.process.returncode}: {self.log()[-3000:]}"
        try:
            return all(httpx.get(f"{self.agent_url(agent)}/.well-known/agent-card.json", headers={"x-api-key": self.secret, "x-probe": "1"},
                                 timeout=2).status_code == 200 for agent in AGENTS)
        except httpx.HTTPError:
            return False

    def requests(self) -> list[dict]:
        """The requests seen so far, but for the start's probes: {method, path, a2a_version, api_key, allowed,
        rpc_method, at}, oldest first."""
        if not self.record_path.exists():
            return []
        seen = [json.loads(line) for line in self.record_path.read_text().splitlines() if line]
        return [request for request in seen if not request.pop("probe")]


def recorded(app, secret: str, record: Path):
    """`app` behind the x-api-key `secret`, every request recorded in `record` (above)."""
    from starlette.responses import JSONResponse

    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
        allowed = headers.get("x-api-key") == secret
        rpc_method, app_receive = None, receive
        if scope["method"] == "POST":
            # Read the body for its JSON-RPC method, then hand it to the app as if it were unread.
            chunks, more = [], True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body, pending = b"".join(chunks), [True]
            try:
                rpc_method = json.loads(body).get("method")
            except (ValueError, AttributeError):
                pass

            async def replay():
                if pending:
                    pending.clear()
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()
            app_receive = replay
        with record.open("a") as file:
            file.write(json.dumps({"method": scope["method"], "path": scope["path"], "a2a_version": headers.get("a2a-version"),
                                   "api_key": headers.get("x-api-key"), "allowed": allowed, "probe": "x-probe" in headers,
                                   "rpc_method": rpc_method, "at": time.time()}) + "\n")
        if not allowed:
            return await JSONResponse({"error": "a valid x-api-key is required"}, status_code=401)(scope, app_receive, send)
        return await app(scope, app_receive, send)
    return guarded


def serve(port: int, secret: str, record: Path) -> None:
    import asyncio

    import uvicorn
    from google.protobuf.json_format import MessageToDict
    from starlette.applications import Starlette

    from a2a.helpers import get_text_parts, new_text_message, new_text_part
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
    from a2a.types.a2a_pb2 import (
        AgentCapabilities,
        AgentCard,
        AgentInterface,
        AgentSkill,
        APIKeySecurityScheme,
        SecurityRequirement,
        SecurityScheme,
        StringList,
        Task,
        TaskState,
        TaskStatus,
    )

    class Teller(AgentExecutor):
        async def execute(self, context, event_queue):
            message = context.message
            if context.current_task is None:
                await event_queue.enqueue_event(Task(id=context.task_id, context_id=context.context_id,
                                                     status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED), history=[message]))
            updater = TaskUpdater(event_queue, context.task_id, context.context_id)

            def reply(text: str):
                return new_text_message(text, context_id=context.context_id, task_id=context.task_id)
            await updater.start_work()
            skill = MessageToDict(message.metadata).get("skill")
            if skill != "tell":
                return await updater.failed(reply(f"no skill {skill!r}"))
            lines = tale("".join(get_text_parts(message.parts)))
            for index, line in enumerate(lines):
                if index:
                    await asyncio.sleep(TELL_GAP)
                await updater.add_artifact([new_text_part(line)], artifact_id=f"{context.task_id}-tale", name="tale",
                                           append=index > 0, last_chunk=index == len(lines) - 1)
            await updater.complete(reply("told"))

        async def cancel(self, context, event_queue):
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    def card(name: str, description: str, skills: dict[str, str], capabilities: AgentCapabilities) -> AgentCard:
        return AgentCard(
            name=name, description=description, version="1.0.0",
            supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}/{name}/a2a", protocol_binding="JSONRPC", protocol_version="1.0")],
            capabilities=capabilities,
            security_schemes={"apiKey": SecurityScheme(api_key_security_scheme=APIKeySecurityScheme(location="header", name="x-api-key"))},
            security_requirements=[SecurityRequirement(schemes={"apiKey": StringList()})],
            default_input_modes=["text/plain"], default_output_modes=["text/plain"],
            skills=[AgentSkill(id=id, name=id, description=text, tags=[name]) for id, text in skills.items()],
        )
    teller = card("teller", "Tells stories", {"tell": "Answers a line at a time, streaming each line"},
                  AgentCapabilities(streaming=True, push_notifications=False, extended_agent_card=False))
    routes = []
    for agent_card, executor in ((teller, Teller()),):
        handler = DefaultRequestHandler(agent_executor=executor, task_store=InMemoryTaskStore(), agent_card=agent_card)
        routes += [*create_agent_card_routes(agent_card, card_url=f"/{agent_card.name}/.well-known/agent-card.json"),
                   *create_jsonrpc_routes(handler, f"/{agent_card.name}/a2a")]
    uvicorn.run(recorded(Starlette(routes=routes), secret, record), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
