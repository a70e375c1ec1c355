"""An outside A2A 1.0 agent for the agent tests, built with the official a2a-sdk server (JSON-RPC binding, served by
uvicorn on loopback). Its card offers three skills: `reverse` answers the reversed text of the message's text part
as an artifact (upper-cased when a data part says {"upper": true}); `refuse` fails the task with the status message
"no, thanks"; `to.upper` completes with the text upper-cased in the status message and no artifact. The card is at
/.well-known/agent-card.json and at /cards/words.json; /cards/minimal.json is a card of the same server with
`reverse` only, which leaves out all the optional capabilities. Every request, the cards' included, needs the header
x-api-key with the secret (401 otherwise); each one's method, path, A2A-Version and x-api-key headers and whether it
was let in are appended, as a JSON line, to the record file.

    python a2a_peer.py PORT SECRET RECORD_FILE

`A2APeer` runs it as a process for a test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from pysupport.processes import ManagedProcess
from pysupport.waits import wait_until

SERVER = Path(__file__).resolve()
WORDS_CARD = "/cards/words.json"
MINIMAL_CARD = "/cards/minimal.json"
SKILLS = {"reverse": "Reverses the text it is given, upper-cased on request", "refuse": "Declines every request",
          "to.upper": "Upper-cases the text it is given"}


class A2APeer(ManagedProcess):
    """This module's server as a process on `port`, its log and record file in `workdir`."""

    def __init__(self, workdir: Path, port: int, secret: str):
        self.port = port
        self.secret = secret
        self.log_path = workdir / "a2a-peer.log"
        self.record_path = workdir / "a2a-peer.requests.jsonl"
        self.stop_timeout = 10

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "A2APeer":
        self.spawn([sys.executable, str(SERVER), str(self.port), self.secret, str(self.record_path)], env=None)
        wait_until(self._up, f"the A2A peer to serve its card on {self.url}", timeout=timeout, interval=0.1)
        return self

    def _up(self) -> bool:
        assert self.process.poll() is None, f"the A2A peer exited with {self.process.returncode}: {self.log()[-3000:]}"
        try:
            return httpx.get(f"{self.url}/.well-known/agent-card.json", headers={"x-api-key": self.secret, "x-probe": "1"}, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def requests(self) -> list[dict]:
        """The requests the server has seen so far, but for the start's probes: {method, path, a2a_version, api_key,
        allowed}, oldest first."""
        if not self.record_path.exists():
            return []
        seen = [json.loads(line) for line in self.record_path.read_text().splitlines() if line]
        return [request for request in seen if not request.pop("probe")]


def serve(port: int, secret: str, record: Path) -> None:
    import uvicorn
    from google.protobuf.json_format import MessageToDict
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse

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

    class Words(AgentExecutor):
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
            if skill == "reverse":
                text = "".join(get_text_parts(message.parts))[::-1]
                options = [MessageToDict(part.data) for part in message.parts if part.HasField("data")]
                if any(isinstance(option, dict) and option.get("upper") for option in options):
                    text = text.upper()
                await updater.add_artifact([new_text_part(text)], name="result")
                await updater.complete(reply("reversed"))
            elif skill == "to.upper":
                await updater.complete(reply("".join(get_text_parts(message.parts)).upper()))
            elif skill == "refuse":
                await updater.failed(reply("no, thanks"))
            else:
                await updater.failed(reply(f"no skill {skill!r}"))

        async def cancel(self, context, event_queue):
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    def card(name: str, skills: dict, capabilities: AgentCapabilities) -> AgentCard:
        return AgentCard(
            name=name, description="Plays with words", version="1.0.0",
            supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}/a2a", protocol_binding="JSONRPC", protocol_version="1.0")],
            capabilities=capabilities,
            security_schemes={"apiKey": SecurityScheme(api_key_security_scheme=APIKeySecurityScheme(location="header", name="x-api-key"))},
            security_requirements=[SecurityRequirement(schemes={"apiKey": StringList()})],
            default_input_modes=["text/plain", "application/json"], default_output_modes=["text/plain"],
            skills=[AgentSkill(id=id, name=id, description=description, tags=["words"]) for id, description in skills.items()],
        )
    # The card names every capability; the minimal card names none (all three are optional in A2A 1.0, and the
    # SDK leaves unset ones out of the JSON).
    words = card("words", SKILLS, AgentCapabilities(streaming=False, push_notifications=False, extended_agent_card=False))
    minimal = card("minimal", {"reverse": SKILLS["reverse"]}, AgentCapabilities())
    handler = DefaultRequestHandler(agent_executor=Words(), task_store=InMemoryTaskStore(), agent_card=words)
    app = Starlette(routes=[*create_agent_card_routes(words), *create_agent_card_routes(words, card_url=WORDS_CARD),
                            *create_agent_card_routes(minimal, card_url=MINIMAL_CARD), *create_jsonrpc_routes(handler, "/a2a")])

    async def guarded(scope, receive, send):
        """Refuses a request without the secret; records every request."""
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
        allowed = headers.get("x-api-key") == secret
        with record.open("a") as file:
            file.write(json.dumps({"method": scope["method"], "path": scope["path"], "a2a_version": headers.get("a2a-version"),
                                   "api_key": headers.get("x-api-key"), "allowed": allowed, "probe": "x-probe" in headers}) + "\n")
        if not allowed:
            return await JSONResponse({"error": "a valid x-api-key is required"}, status_code=401)(scope, receive, send)
        return await app(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
