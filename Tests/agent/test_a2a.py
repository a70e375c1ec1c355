"""The registry's A2A 1.0 gateway (JSON-RPC binding) driven by the official client, a2a-sdk, against a real
registry and two real `chatixia run` agents: math-agent (examples/, skill `calculate`, plus the suite's echo
skill) and alpha (echo). Messages become registry tasks the agents run; the A2A task id is the registry's.
One registry and its agents serve the whole module. The suite runs without pytest-asyncio, so each test
drives the async client with asyncio.run."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import httpx
import pytest

from a2a.client import A2ACardResolver, ClientCallContext
from a2a.client.errors import AgentCardResolutionError
from a2a.helpers import get_artifact_text, get_message_text, new_url_part
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Role,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskState,
)
from a2a.utils.errors import (
    ContentTypeNotSupportedError,
    InvalidParamsError,
    TaskNotCancelableError,
    TaskNotFoundError,
    UnsupportedOperationError,
    VersionNotSupportedError,
)
from agents import ECHO_SKILL, KEYS, new_agent, new_registry
from pysupport import a2a as client
from pysupport.a2a import message, send
from pysupport.agent import Agent, skill_json
from pysupport.pytest_plugin import failed
from pysupport.registry import Registry
from pysupport.waits import wait_until

ADMIN = KEYS.admin
#: A credential of another peer (role agent) that no agent here uses: it may call A2A but sees only its own tasks.
OTHER = KEYS.for_peer("sc-3")
TIMEOUT = 60.0
S = TaskState
TERMINAL = {S.TASK_STATE_COMPLETED, S.TASK_STATE_FAILED, S.TASK_STATE_CANCELED, S.TASK_STATE_REJECTED}
#: A skill of two turns: it asks for the city, then books; it refuses castles.
BOOK_SKILL = {
    "skill.json": skill_json("book", "Books a room; asks for the city first"),
    "handler.py": (
        "def handle(message, previous_turns=(), **kwargs):\n"
        "    if message == 'a castle':\n"
        "        return {'state': 'rejected', 'message': 'we do not book castles'}\n"
        "    if not previous_turns:\n"
        "        return {'state': 'input_required', 'message': 'Which city?'}\n"
        "    first = previous_turns[0]\n"
        "    return f\"booked {first['request']['message']} in {message} (asked: {first['reply']})\"\n"
    ),
}


@dataclass
class Mesh:
    registry: Registry
    math: Agent
    alpha: Agent

    @property
    def url(self) -> str:
        return self.registry.url


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("a2a")
    registry = new_registry(workdir).start()
    math = Agent.from_example(registry, workdir, "math-agent", peer="sc-1", stop_timeout=15)
    for file_name, text in ECHO_SKILL.items():  # math-agent answers echo too, as "math-agent:<message>"
        (math.folder / "skills" / "echo").mkdir(exist_ok=True)
        (math.folder / "skills" / "echo" / file_name).write_text(text)
    alpha = new_agent(registry, workdir, "alpha", peer="sc-2", skills={"book": BOOK_SKILL})
    mesh = Mesh(registry, math, alpha)
    try:
        math.start()
        alpha.start()
        # The card is rate-limited per address (120 a minute), so it is not polled hard.
        wait_until(lambda: card_tags(mesh.url).get("echo") == ["chatixia", "alpha", "math-agent"] and "calculate" in card_tags(mesh.url),
                   "the card to list both agents' skills", timeout=30, interval=0.5)
        yield mesh
    finally:
        codes = {agent.name: agent.stop() for agent in (math, alpha)}
        registry.stop()
    assert all(code == 0 for code in codes.values()), f"agents did not stop cleanly: {codes}"


def card_tags(base_url: str) -> dict:
    return {skill["id"]: skill["tags"] for skill in httpx.get(f"{base_url}/.well-known/agent-card.json").json()["skills"]}


@pytest.fixture(autouse=True)
def logs_on_failure(request, mesh):
    yield
    if failed(request):
        for process in (mesh.registry, mesh.math, mesh.alpha):
            print(f"--- {getattr(process, 'name', 'registry')} log ---\n{process.log()[-5000:]}")


# --- The client ---------------------------------------------------------------------------------------------


def a2a(action, base_url: str, key: str | None = ADMIN, *, streaming: bool = False):
    """pysupport's client call, with the admin key unless told otherwise."""
    return client.a2a(action, base_url, key, streaming=streaming)


def card(base_url: str) -> AgentCard:
    """The public card, fetched without a credential."""
    async def main():
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            return await A2ACardResolver(http, base_url).get_agent_card()
    return asyncio.run(main())


def sent_task(events: list[StreamResponse]) -> Task:
    assert len(events) == 1 and events[0].HasField("task"), f"SendMessage answers {{'task': ...}}, got {events}"
    return events[0].task


def result_text(task: Task) -> str:
    assert [a.name for a in task.artifacts] == ["result"], task
    return get_artifact_text(task.artifacts[0])


def rpc(url: str, method: str, params: dict, headers: dict) -> httpx.Response:
    """One raw JSON-RPC call, for what the SDK does not send (no A2A-Version, no key, unknown methods)."""
    return httpx.post(url, json={"jsonrpc": "2.0", "id": "r-1", "method": method, "params": params}, headers=headers, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def calculated(mesh) -> Task:
    """One task run to completion with SendMessage: calculate "2^10 + 24" (1048; ^ is the power) in a context of ours."""
    msg = message(skill="calculate", data={"message": "2^10 + 24"}, context_id=f"ctx-{uuid.uuid4()}")
    return sent_task(a2a(send(msg), mesh.url))


# --- Tests ----------------------------------------------------------------------------------------------------


def test_the_public_card_lists_the_running_agents_skills_and_its_interface_answers(mesh):
    public = card(mesh.url)
    assert public.name == "chatixia-mesh"
    assert [(i.url, i.protocol_binding, i.protocol_version) for i in public.supported_interfaces] == [(f"{mesh.url}/a2a", "JSONRPC", "1.0")]
    assert public.capabilities.streaming and not public.capabilities.push_notifications and not public.capabilities.extended_agent_card
    skills = {skill.id: skill for skill in public.skills}
    # Tags and examples come from skill.json (examples/math-agent/skills/calculate), after the agents offering it.
    assert skills["calculate"].name == "calculate" and list(skills["calculate"].tags) == ["chatixia", "math-agent", "math", "arithmetic"]
    assert list(skills["calculate"].examples) == ["What is 2^10 + 24?", "mean(3, 4, 8)"] and not skills["echo"].examples
    assert list(skills["echo"].tags) == ["chatixia", "alpha", "math-agent"]
    schemes = {name: scheme.WhichOneof("scheme") for name, scheme in public.security_schemes.items()}
    assert schemes == {"apiKey": "api_key_security_scheme", "deviceToken": "api_key_security_scheme", "bearer": "http_auth_security_scheme"}
    assert public.security_schemes["apiKey"].api_key_security_scheme.name == "x-api-key"
    # The interface the card names answers the client (with a credential).
    page = a2a(lambda client: client.list_tasks(ListTasksRequest(page_size=1)), mesh.url)
    assert page.page_size == 1


def test_send_message_runs_the_skill_and_the_registry_holds_the_same_task(mesh, calculated):
    assert calculated.status.state == S.TASK_STATE_COMPLETED, S.Name(calculated.status.state)
    assert result_text(calculated) == "1048"
    reply = calculated.status.message
    assert reply.role == Role.ROLE_AGENT and get_message_text(reply) == "1048"
    assert calculated.context_id.startswith("ctx-")  # the client's contextId is kept
    stored = mesh.registry.task(calculated.id)  # the registry's own API, admin key
    assert (stored["state"], stored["result"], stored["skill"], stored["context_id"], stored["assigned_agent_id"]) == \
        ("completed", "1048", "calculate", calculated.context_id, "math-agent")
    assert stored["payload"] == {"message": "2^10 + 24"}


def test_a_streamed_text_message_yields_the_task_then_the_result_and_ends_completed(mesh):
    events = a2a(send(message(skill="calculate", text="(7 + 5) * 3^2")), mesh.url, streaming=True)
    kinds = [event.WhichOneof("payload") for event in events]
    assert kinds[0] == "task" and events[0].task.status.state in (S.TASK_STATE_SUBMITTED, S.TASK_STATE_WORKING), events[0]
    task_id = events[0].task.id
    statuses = [event.status_update for event in events if event.HasField("status_update")]
    assert kinds[-1] == "status_update" and statuses[-1].status.state == S.TASK_STATE_COMPLETED, kinds
    assert all(s.status.state not in TERMINAL for s in statuses[:-1]), [S.Name(s.status.state) for s in statuses]
    assert get_message_text(statuses[-1].status.message) == "108"
    artifacts = [event.artifact_update for event in events if event.HasField("artifact_update")]
    assert [get_artifact_text(a.artifact) for a in artifacts] == ["108"] and kinds.index("artifact_update") < len(kinds) - 1
    assert {s.task_id for s in statuses} | {a.task_id for a in artifacts} == {task_id}
    stored = mesh.registry.task(task_id)
    assert (stored["state"], stored["result"], stored["payload"]) == ("completed", "108", {"message": "(7 + 5) * 3^2"})


def test_get_task_and_list_tasks_find_it(mesh, calculated):
    async def action(client):
        return (await client.get_task(GetTaskRequest(id=calculated.id)),
                await client.get_task(GetTaskRequest(id=calculated.id, history_length=0)),
                await client.list_tasks(ListTasksRequest(context_id=calculated.context_id)))
    got, trimmed, listed = a2a(action, mesh.url)
    assert (got.id, got.context_id, got.status.state) == (calculated.id, calculated.context_id, S.TASK_STATE_COMPLETED)
    assert result_text(got) == "1048" and len(got.history) > 0 and len(trimmed.history) == 0
    assert [t.id for t in listed.tasks] == [calculated.id] and listed.total_size == 1 and listed.next_page_token == ""
    assert not listed.tasks[0].artifacts  # includeArtifacts defaults to false
    with pytest.raises(InvalidParamsError):
        a2a(lambda client: client.list_tasks(ListTasksRequest(page_size=101)), mesh.url)


def test_return_immediately_answers_at_once_and_get_task_sees_it_finish(mesh):
    first = sent_task(a2a(send(message(skill="calculate", data={"message": "mean(3, 4, 8)"}), return_immediately=True), mesh.url))
    assert first.status.state in (S.TASK_STATE_SUBMITTED, S.TASK_STATE_WORKING), S.Name(first.status.state)

    def finished():
        task = a2a(lambda client: client.get_task(GetTaskRequest(id=first.id)), mesh.url)
        return task if task.status.state in TERMINAL else None
    task = wait_until(finished, "the task to finish", timeout=30, interval=0.25)
    assert task.status.state == S.TASK_STATE_COMPLETED and result_text(task) == "5"


def test_a_finished_task_can_be_neither_canceled_nor_subscribed_to(mesh, calculated):
    with pytest.raises(TaskNotCancelableError):  # -32002
        a2a(lambda client: client.cancel_task(CancelTaskRequest(id=calculated.id)), mesh.url)

    async def subscribe(client):
        return [event async for event in client.subscribe(SubscribeToTaskRequest(id=calculated.id))]
    with pytest.raises(UnsupportedOperationError):  # -32004
        a2a(subscribe, mesh.url, streaming=True)
    assert mesh.registry.task(calculated.id)["state"] == "completed"


def test_unknown_tasks_and_other_credentials_tasks_are_not_found(mesh, calculated):
    unknown = str(uuid.uuid4())
    for key, task_id in ((ADMIN, unknown), (OTHER, calculated.id)):
        with pytest.raises(TaskNotFoundError):  # -32001
            a2a(lambda client: client.get_task(GetTaskRequest(id=task_id)), mesh.url, key)
        with pytest.raises(TaskNotFoundError):
            a2a(lambda client: client.cancel_task(CancelTaskRequest(id=task_id)), mesh.url, key)
    # ListTasks shows another credential only its own tasks.
    listed = a2a(lambda client: client.list_tasks(ListTasksRequest(context_id=calculated.context_id)), mesh.url, OTHER)
    assert list(listed.tasks) == [] and listed.total_size == 0


def test_a_skill_nobody_offers_and_file_parts_are_refused(mesh):
    with pytest.raises(InvalidParamsError, match="no agent in the mesh offers skill 'no_such_skill'"):  # -32602
        a2a(send(message(skill="no_such_skill", text="hi")), mesh.url)
    with pytest.raises(ContentTypeNotSupportedError):  # -32005
        a2a(send(message(skill="calculate", parts=[new_url_part("http://127.0.0.1/a.png", "image/png", "a.png")])), mesh.url)


def test_a_message_without_a_skill_is_a_prompt_and_fails_without_an_llm(mesh):
    task = sent_task(a2a(send(message(text="hello?")), mesh.url))
    assert task.status.state == S.TASK_STATE_FAILED, S.Name(task.status.state)
    assert get_message_text(task.status.message).startswith("no LLM is configured"), task.status
    assert not task.artifacts
    stored = mesh.registry.task(task.id)
    assert (stored["skill"], stored["state"], stored["payload"]) == ("user_intervention", "failed", {"message": "hello?"})


def test_versions_credentials_and_methods_outside_what_the_gateway_serves(mesh):
    with pytest.raises(VersionNotSupportedError):  # -32009
        a2a(lambda client: client.get_task(GetTaskRequest(id=str(uuid.uuid4())),
                                           context=ClientCallContext(service_parameters={"A2A-Version": "9.9"})), mesh.url)
    endpoint = f"{mesh.url}/a2a"
    versioned = {"x-api-key": ADMIN, "A2A-Version": "1.0"}
    # No A2A-Version means 0.3, which a 1.0 gateway refuses; JSON-RPC errors come in HTTP 200 answers.
    missing = rpc(endpoint, "GetTask", {"id": "x"}, {"x-api-key": ADMIN})
    assert missing.status_code == 200 and missing.json()["error"]["code"] == -32009, missing.text
    assert rpc(endpoint, "ListTasks", {}, {"A2A-Version": "1.0"}).status_code == 401  # no credential
    codes = {method: rpc(endpoint, method, params, versioned).json()["error"]["code"] for method, params in (
        ("message/send", {}), ("CreateTaskPushNotificationConfig", {"taskId": "x"}), ("GetExtendedAgentCard", {}))}
    assert codes == {"message/send": -32601, "CreateTaskPushNotificationConfig": -32003, "GetExtendedAgentCard": -32004}


def test_the_per_agent_cards_and_endpoints_route_to_that_agent(mesh):
    alpha = card(f"{mesh.url}/a2a/agents/alpha")
    assert alpha.name == "alpha" and [i.url for i in alpha.supported_interfaces] == [f"{mesh.url}/a2a/agents/alpha"]
    assert "echo" in {s.id for s in alpha.skills} and "calculate" not in {s.id for s in alpha.skills}
    # Both agents offer echo, which answers "<agent id>:<message>": the endpoint decides which one runs it.
    for agent in ("alpha", "math-agent"):
        task = sent_task(a2a(send(message(skill="echo", text="who")), f"{mesh.url}/a2a/agents/{agent}"))
        assert (task.status.state, result_text(task)) == (S.TASK_STATE_COMPLETED, f"{agent}:who")
        assert mesh.registry.task(task.id)["target_agent_id"] == agent
    # On the mesh's endpoint, metadata.target_agent_id picks the agent.
    task = sent_task(a2a(send(message(skill="echo", text="picked", target="alpha")), mesh.url))
    assert result_text(task) == "alpha:picked"
    with pytest.raises(AgentCardResolutionError) as unknown:
        card(f"{mesh.url}/a2a/agents/nobody")
    assert unknown.value.status_code == 404
    assert rpc(f"{mesh.url}/a2a/agents/nobody", "ListTasks", {}, {"x-api-key": ADMIN, "A2A-Version": "1.0"}).status_code == 404


def test_a_skill_asks_for_input_and_the_next_message_of_the_conversation_continues_the_task(mesh):
    context = f"ctx-{uuid.uuid4()}"
    asked = sent_task(a2a(send(message(skill="book", text="a room", context_id=context)), mesh.url))
    assert asked.status.state == S.TASK_STATE_INPUT_REQUIRED, S.Name(asked.status.state)
    assert get_message_text(asked.status.message) == "Which city?" and not asked.artifacts
    assert mesh.registry.task(asked.id)["state"] == "input_required"
    # The answer names the task; streamed, it runs the same task again, now with the turn before it.
    answer = message(text="Paris", context_id=context)
    answer.task_id = asked.id
    events = a2a(send(answer), mesh.url, streaming=True)
    assert events[0].task.id == asked.id
    statuses = [event.status_update.status.state for event in events if event.HasField("status_update")]
    assert statuses[-1] == S.TASK_STATE_COMPLETED, [S.Name(state) for state in statuses]
    got = a2a(lambda client: client.get_task(GetTaskRequest(id=asked.id)), mesh.url)
    assert result_text(got) == "booked a room in Paris (asked: Which city?)"
    assert [(m.role, get_message_text(m)) for m in got.history] == [
        (Role.ROLE_USER, "a room"), (Role.ROLE_AGENT, "Which city?"), (Role.ROLE_USER, "Paris"),
        (Role.ROLE_AGENT, "booked a room in Paris (asked: Which city?)")]
    stored = mesh.registry.task(asked.id)
    assert (stored["state"], stored["payload"], [turn["request"] for turn in stored["turns"]]) == \
        ("completed", {"message": "Paris"}, [{"message": "a room"}])
    # Finished, it takes no further message.
    with pytest.raises(UnsupportedOperationError):  # -32004
        a2a(send(answer), mesh.url)


def test_a_skill_may_reject_a_task(mesh):
    task = sent_task(a2a(send(message(skill="book", text="a castle")), mesh.url))
    assert task.status.state == S.TASK_STATE_REJECTED, S.Name(task.status.state)
    assert get_message_text(task.status.message) == "we do not book castles"
    stored = mesh.registry.task(task.id)
    assert (stored["state"], stored["error"]) == ("rejected", "we do not book castles")
    with pytest.raises(TaskNotCancelableError):
        a2a(lambda client: client.cancel_task(CancelTaskRequest(id=task.id)), mesh.url)
