"""Outside A2A 1.0 agents for the test suites, built with the official a2a-sdk server (JSON-RPC binding, served by
uvicorn on loopback) in a process of their own, `OutsideA2A`. Every request needs the header x-api-key with the
process's secret (401 otherwise); each one is recorded as a JSON line: its HTTP method, path, A2A-Version and x-api-key
headers, whether it was let in, the JSON-RPC method of a POST (`SendMessage`, `SendStreamingMessage`, ...) and when it
came (`time.time()`).

Every agent runs the skill a message's `metadata.skill` names as a task (submitted, working, then its skill's answer);
a skill it does not have fails the task with "no skill '<id>'". Each agent is served under a path of its own (its card
at <path>/.well-known/agent-card.json, its JSON-RPC endpoint at <path>/a2a), so a manifest's `a2a_agents` entry names
it by the URL `OutsideA2A.agent_url(name)`:

- `teller`, at /teller (streaming declared): one skill, `tell`, which answers the text of a message with the lines
  `tale(text)`, each one an artifact chunk written `TELL_GAP` seconds after the one before (one artifact, `tale`:
  `append` from the second chunk on, `lastChunk` on the last), then completes with the status message "told". Asked
  with SendStreamingMessage, the chunks reach the caller as they are written; asked with SendMessage, the SDK gathers
  them into the finished task, whose one artifact holds the lines as its text parts.
- `words`, at the server's root (so an agent URL without a path is tried too): `reverse` answers the reversed text of
  the message's text parts as the artifact `result` (upper-cased when a data part says {"upper": true}) and completes
  with "reversed"; `refuse` fails the task with the status message "no, thanks"; `to.upper` completes with the text
  upper-cased in the status message and no artifact. Its card is also at `WORDS_CARD`, and `MINIMAL_CARD` is a card of
  the same endpoint, named "minimal", with `reverse` only and none of the optional capabilities.

    python -m pysupport.a2a_server PORT SECRET RECORD_FILE"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from google.protobuf.json_format import MessageToDict
from starlette.applications import Starlette
from starlette.responses import JSONResponse

from a2a.helpers import get_text_parts, new_text_message, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
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
from pysupport.processes import ManagedProcess
from pysupport.waits import wait_until

#: Seconds between two of the teller's chunks.
TELL_GAP = 0.4
#: The words agent's card by a URL of its own, and its card without the optional capabilities.
WORDS_CARD = "/cards/words.json"
MINIMAL_CARD = "/cards/minimal.json"


def tale(text: str) -> list[str]:
    """The teller's answer to `text`, one chunk a line."""
    return [f"You asked the teller: {text}", "It answers a line at a time,", "and this is its last line."]


# --- The agents -------------------------------------------------------------------------------------------------


class Ask:
    """One task as a skill sees it: the skill asked for, the text of the message's text parts, its data parts, and
    the calls that answer it."""

    def __init__(self, context: RequestContext, updater: TaskUpdater):
        message = context.message
        self.task_id = context.task_id
        self.skill = MessageToDict(message.metadata).get("skill")
        self.text = "".join(get_text_parts(message.parts))
        self.data = [MessageToDict(part.data) for part in message.parts if part.HasField("data")]
        self._context, self._updater = context, updater

    async def artifact(self, text: str, **options) -> None:
        """Adds `text` as an artifact (or a chunk of one); `options` as for TaskUpdater.add_artifact."""
        await self._updater.add_artifact([new_text_part(text)], **options)

    async def complete(self, text: str) -> None:
        await self._updater.complete(self._message(text))

    async def fail(self, text: str) -> None:
        await self._updater.failed(self._message(text))

    def _message(self, text: str):
        return new_text_message(text, context_id=self._context.context_id, task_id=self._context.task_id)


@dataclass(frozen=True)
class Skill:
    description: str
    run: Callable[[Ask], Awaitable[None]]


@dataclass(frozen=True)
class OutsideAgent:
    """One agent of the server: its card's name, description and skills, whether it declares streaming, the input
    modes it names, and the path it is served under. `more_cards` serves further cards of the same endpoint under
    that path: {card path: how the card differs, as keyword arguments of `card`}."""

    name: str
    path: str
    description: str
    skills: dict[str, Skill]
    streaming: bool = False
    input_modes: tuple[str, ...] = ("text/plain",)
    more_cards: dict[str, dict] = field(default_factory=dict)

    def card(self, port: int, *, name: str | None = None, skills: tuple[str, ...] | None = None, optional_capabilities: bool = True) -> AgentCard:
        """The agent's card, served on `port`; `name` and `skills` (ids) change it, and without
        `optional_capabilities` it names none (all three are optional in A2A 1.0, and the SDK leaves unset ones
        out of the JSON)."""
        capabilities = AgentCapabilities(streaming=self.streaming, push_notifications=False, extended_agent_card=False) \
            if optional_capabilities else AgentCapabilities()
        return AgentCard(
            name=name or self.name, description=self.description, version="1.0.0",
            supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}{self.path}/a2a", protocol_binding="JSONRPC", protocol_version="1.0")],
            capabilities=capabilities,
            security_schemes={"apiKey": SecurityScheme(api_key_security_scheme=APIKeySecurityScheme(location="header", name="x-api-key"))},
            security_requirements=[SecurityRequirement(schemes={"apiKey": StringList()})],
            default_input_modes=list(self.input_modes), default_output_modes=["text/plain"],
            skills=[AgentSkill(id=id, name=id, description=skill.description, tags=[self.name]) for id, skill in self.skills.items()
                    if skills is None or id in skills],
        )


async def tell(ask: Ask) -> None:
    lines = tale(ask.text)
    for index, line in enumerate(lines):
        if index:
            await asyncio.sleep(TELL_GAP)
        await ask.artifact(line, artifact_id=f"{ask.task_id}-tale", name="tale", append=index > 0, last_chunk=index == len(lines) - 1)
    await ask.complete("told")


async def reverse(ask: Ask) -> None:
    text = ask.text[::-1]
    if any(isinstance(option, dict) and option.get("upper") for option in ask.data):
        text = text.upper()
    await ask.artifact(text, name="result")
    await ask.complete("reversed")


async def refuse(ask: Ask) -> None:
    await ask.fail("no, thanks")


async def to_upper(ask: Ask) -> None:
    await ask.complete(ask.text.upper())


AGENTS = {agent.name: agent for agent in (
    OutsideAgent("teller", "/teller", "Tells stories", {"tell": Skill("Answers a line at a time, streaming each line", tell)},
                 streaming=True),
    OutsideAgent("words", "", "Plays with words", {
        "reverse": Skill("Reverses the text it is given, upper-cased on request", reverse),
        "refuse": Skill("Declines every request", refuse),
        "to.upper": Skill("Upper-cases the text it is given", to_upper),
    }, input_modes=("text/plain", "application/json"),
        more_cards={WORDS_CARD: {}, MINIMAL_CARD: {"name": "minimal", "skills": ("reverse",), "optional_capabilities": False}}),
)}


# --- The server process -----------------------------------------------------------------------------------------


class OutsideA2A(ManagedProcess):
    """This module's server, with all its agents, as a process on `port` behind `secret`; its log and record file in
    `workdir`."""

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
        return f"{self.url}{AGENTS[agent].path}"

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


class Executor(AgentExecutor):
    """Runs the skill a message names as a task: submitted (a new task only), working, then the skill's answer."""

    def __init__(self, skills: dict[str, Skill]):
        self.skills = skills

    async def execute(self, context, event_queue):
        if context.current_task is None:
            await event_queue.enqueue_event(Task(id=context.task_id, context_id=context.context_id,
                                                 status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED), history=[context.message]))
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        await updater.start_work()
        ask = Ask(context, updater)
        skill = self.skills.get(ask.skill)
        if skill is None:
            return await ask.fail(f"no skill {ask.skill!r}")
        await skill.run(ask)

    async def cancel(self, context, event_queue):
        await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


def recorded(app, secret: str, record: Path):
    """`app` behind the x-api-key `secret`, every request recorded in `record` (above)."""

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
    routes = []
    for agent in AGENTS.values():
        card = agent.card(port)
        handler = DefaultRequestHandler(agent_executor=Executor(agent.skills), task_store=InMemoryTaskStore(), agent_card=card)
        routes += [*create_agent_card_routes(card, card_url=f"{agent.path}/.well-known/agent-card.json"),
                   *create_jsonrpc_routes(handler, f"{agent.path}/a2a")]
        for card_path, differences in agent.more_cards.items():
            routes += create_agent_card_routes(agent.card(port, **differences), card_url=f"{agent.path}{card_path}")
    uvicorn.run(recorded(Starlette(routes=routes), secret, record), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
