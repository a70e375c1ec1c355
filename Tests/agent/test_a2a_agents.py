"""Outside A2A agents from the manifest's `a2a_agents`: a real A2A 1.0 agent built with the official a2a-sdk
(pysupport.a2a_server's `words`: skills `reverse`, `refuse` and `to.upper`, behind an x-api-key) whose card's skills
become the agent's skills `words_reverse`, `words_refuse` and `words_to_upper`, callable through the registry's queue
and by the LLM; an outside agent that cannot be reached or refuses the key is left out while the agent runs on; and
the mesh itself, through the registry's A2A gateway, as an outside agent of one of its own agents. One registry,
outside A2A server and pair of agents serve the whole module:

- alpha (sc-1): `words` (the a2a-sdk agent, its key from ${WORDS_KEY}), `hive` (beta's card on the registry's
  gateway, the admin key from ${HIVE_KEY}), and a scripted LLM;
- beta (sc-2): `closed` (a port nobody listens on), `locked` (the a2a-sdk agent with a wrong key), `bycard` (the
  same agent's card by its own URL, /cards/words.json) and `minimal` (its card without the optional capabilities)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

import pytest

from agents import KEYS, ScriptedLLM, new_agent, new_registry
from pysupport.a2a_server import AGENTS, MINIMAL_CARD, WORDS_CARD, OutsideA2A
from pysupport.agent import Agent
from pysupport.ports import free_port
from pysupport.processes import bin_dir
from pysupport.pytest_plugin import failed
from pysupport.registry import Registry

SECRET = "words-secret-1"
WORDS_SKILLS = AGENTS["words"].skills


@dataclass
class Setup:
    registry: Registry
    outside_a2a: OutsideA2A
    llm: ScriptedLLM
    alpha: Agent
    beta: Agent
    closed_port: int

    @property
    def words(self) -> str:
        """The words agent's URL."""
        return self.outside_a2a.agent_url("words")


def outside(name: str, url: str, key: str) -> str:
    return f"  {name}:\n    url: {url}\n    headers:\n      x-api-key: \"{key}\"\n    enabled: true\n"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("a2a-out")
    registry = new_registry(workdir).start()
    outside_a2a = OutsideA2A(workdir, free_port(), SECRET)
    words = outside_a2a.agent_url("words")
    llm = ScriptedLLM(call=("words_reverse", {"message": "mesh", "data": {"upper": True}}))
    closed_port = free_port()
    beta = new_agent(registry, workdir, "beta", peer="sc-2",
                     manifest_extra="a2a_agents:\n" + outside("closed", f"http://127.0.0.1:{closed_port}", "x") + outside("locked", words, "not-the-secret")
                     + outside("bycard", words + WORDS_CARD, "${WORDS_KEY}") + outside("minimal", words + MINIMAL_CARD, "${WORDS_KEY}"),
                     extra_env={"WORDS_KEY": SECRET})
    # alpha reads beta's card on the registry, so beta runs first.
    alpha = new_agent(registry, workdir, "alpha", peer="sc-1",
                      manifest_extra="a2a_agents:\n" + outside("words", words, "${WORDS_KEY}")
                      + outside("hive", f"{registry.url}/a2a/agents/beta", "${HIVE_KEY}"),
                      extra_env={"WORDS_KEY": SECRET, "HIVE_KEY": KEYS.admin, **llm.env})
    setup = Setup(registry, outside_a2a, llm, alpha, beta, closed_port)
    try:
        outside_a2a.start()
        beta.start()  # about 10 s: the agent waits out its card timeout on the closed port before it registers
        alpha.start()
        yield setup
    finally:
        codes = {agent.name: agent.stop() for agent in (alpha, beta)}
        outside_a2a.stop()
        llm.close()
        registry.stop()
    assert all(code == 0 for code in codes.values()), f"agents did not stop cleanly: {codes}"


@pytest.fixture(autouse=True)
def logs_on_failure(request, setup):
    yield
    if failed(request):
        for name, process in (("alpha", setup.alpha), ("beta", setup.beta), ("outside A2A agents", setup.outside_a2a), ("registry", setup.registry)):
            print(f"--- {name} log ---\n{process.log()[-5000:]}")
        print(f"--- outside A2A requests ---\n{setup.outside_a2a.requests()}")


def record(registry: Registry, agent_id: str) -> dict:
    status, body = registry.api("GET", f"/api/registry/agents/{agent_id}")
    assert status == 200, body
    return body


def log_lines(agent: Agent, *words: str) -> list[str]:
    return [line for line in agent.log().splitlines() if all(word in line for word in words)]


# --- Tests ----------------------------------------------------------------------------------------------------


def test_the_outside_agents_card_skills_are_registered_as_skills_of_the_agent(setup):
    capabilities = record(setup.registry, "alpha")["capabilities"]
    # "to.upper" is no tool name: the dot becomes "_".
    assert {"words_reverse", "words_refuse", "words_to_upper", "echo"} <= set(capabilities["skills"]), capabilities["skills"]
    descriptions = capabilities["skill_descriptions"]
    for skill, words_skill in WORDS_SKILLS.items():
        assert words_skill.description in descriptions[f"words_{skill.replace('.', '_')}"], descriptions
    assert log_lines(setup.alpha, "A2A agent connected", "a2a_agent=words", "skills=3", f"endpoint={setup.words}/a2a"), setup.alpha.log()


def test_a_task_for_an_outside_skill_is_answered_by_the_outside_agent(setup):
    task = setup.registry.run_task(skill="words_reverse", target_agent_id="alpha", payload={"message": "chatixia"})
    assert (task["state"], task["result"]) == ("completed", "aixitahc"), task
    # `data` goes along as a data part.
    task = setup.registry.run_task(skill="words_reverse", target_agent_id="alpha", payload={"message": "chatixia", "data": {"upper": True}})
    assert (task["state"], task["result"]) == ("completed", "AIXITAHC"), task
    # A task that completes without artifacts answers with its status message.
    task = setup.registry.run_task(skill="words_to_upper", target_agent_id="alpha", payload={"message": "quiet"})
    assert (task["state"], task["result"]) == ("completed", "QUIET"), task


def test_a_failed_outside_task_fails_the_skill_with_its_status_message(setup):
    task = setup.registry.run_task(skill="words_refuse", target_agent_id="alpha", payload={"message": "please"})
    assert task["state"] == "failed", task
    assert "the A2A agent's task ended TASK_STATE_FAILED: no, thanks" in task["error"], task


def test_the_outside_agent_gets_the_configured_key_and_a2a_version_on_every_request(setup):
    assert setup.registry.run_task(skill="words_reverse", target_agent_id="alpha", payload={"message": "ab"})["result"] == "ba"
    seen = setup.outside_a2a.requests()
    assert seen and all(request["a2a_version"] == "1.0" for request in seen), seen
    # With the key from the agent's environment: the cards at start, then one SendMessage per call.
    keyed = [request for request in seen if request["api_key"] == SECRET]
    assert all(request["allowed"] for request in keyed), keyed
    calls = {(request["method"], request["path"]) for request in keyed}
    assert {("GET", "/.well-known/agent-card.json"), ("GET", WORDS_CARD), ("POST", "/a2a")} <= calls <= \
        {("GET", "/.well-known/agent-card.json"), ("GET", WORDS_CARD), ("GET", MINIMAL_CARD), ("POST", "/a2a")}, keyed
    # beta's `locked` entry, with a wrong key: refused at the card.
    others = [request for request in seen if request["api_key"] != SECRET]
    assert others and all((request["api_key"], request["allowed"], request["path"]) == ("not-the-secret", False, "/.well-known/agent-card.json")
                          for request in others), others


def test_the_llm_calls_an_outside_skill_as_a_tool(setup):
    task = setup.registry.run_task(skill="user_intervention", target_agent_id="alpha", payload={"message": "reverse 'mesh', upper-cased"})
    assert (task["state"], task["result"]) == ("completed", "relayed HSEM"), task
    tools = {tool["function"]["name"]: tool["function"] for tool in setup.llm.requests[0]["tools"]}
    reverse = tools["words_reverse"]
    assert WORDS_SKILLS["reverse"].description in reverse["description"]
    assert reverse["parameters"]["required"] == ["message"] and reverse["parameters"]["properties"]["data"]["type"] == "object", reverse
    assert "words_refuse" in tools


def test_outside_agents_that_cannot_be_reached_or_refuse_the_key_are_left_out_and_the_agent_runs(setup):
    closed = log_lines(setup.beta, "A2A agent not available", "a2a_agent=closed")
    assert closed and f"127.0.0.1:{setup.closed_port}/.well-known/agent-card.json" in closed[0], setup.beta.log()
    locked = log_lines(setup.beta, "A2A agent not available", "a2a_agent=locked")
    assert locked and "HTTP 401" in locked[0], setup.beta.log()
    skills = record(setup.registry, "beta")["capabilities"]["skills"]
    assert not [skill for skill in skills if skill.startswith(("closed_", "locked_"))], skills
    assert log_lines(setup.beta, "A2A agent connected", "a2a_agent=bycard"), setup.beta.log()  # the other entries of beta still work
    task = setup.registry.run_task(skill="echo", target_agent_id="beta", payload={"message": "still here"})
    assert (task["state"], task["result"]) == ("completed", "beta:still here"), task


def test_the_mesh_itself_is_an_outside_agent_through_the_registrys_gateway(setup):
    # beta's card on the gateway names beta's skills; alpha has them as hive_<skill>, and beta runs them.
    skills = record(setup.registry, "alpha")["capabilities"]["skills"]
    assert "hive_echo" in skills, skills
    task = setup.registry.run_task(skill="hive_echo", target_agent_id="alpha", payload={"message": "round trip"})
    assert (task["state"], task["result"]) == ("completed", "beta:round trip"), task
    # The call was a registry task of its own, made by the gateway and run by beta.
    inner = [t for t in setup.registry.tasks() if t["skill"] == "echo" and t.get("payload") == {"message": "round trip"}]
    assert [(t["state"], t["assigned_agent_id"], t["result"]) for t in inner] == [("completed", "beta", "beta:round trip")], inner


def test_the_cards_own_url_names_the_outside_agent_too(setup):
    skills = record(setup.registry, "beta")["capabilities"]["skills"]
    assert {"bycard_reverse", "bycard_refuse", "bycard_to_upper"} <= set(skills), skills
    task = setup.registry.run_task(skill="bycard_reverse", target_agent_id="beta", payload={"message": "card"})
    assert (task["state"], task["result"]) == ("completed", "drac"), task


def test_a_card_without_the_optional_capabilities_is_usable(setup):
    assert not log_lines(setup.beta, "A2A agent not available", "a2a_agent=minimal"), log_lines(setup.beta, "a2a_agent=minimal")
    task = setup.registry.run_task(skill="minimal_reverse", target_agent_id="beta", payload={"message": "short"})
    assert (task["state"], task["result"]) == ("completed", "trohs"), task


def chatixia_a2a(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir() / "chatixia"), "a2a", *arguments], capture_output=True, text=True, timeout=60)


def test_chatixia_a2a_reads_a_card_and_sends_a_message_from_the_shell(setup):
    key = f"x-api-key: {SECRET}"
    card = chatixia_a2a("card", setup.words, "--header", key)
    assert card.returncode == 0, card.stderr
    assert card.stdout.startswith("words (version") and "  streaming: no" in card.stdout, card.stdout
    assert "    reverse: Reverses the text it is given, upper-cased on request" in card.stdout, card.stdout
    sent = chatixia_a2a("send", setup.words, "chatixia", "--skill", "reverse", "--header", key)
    assert (sent.returncode, sent.stdout) == (0, "aixitahc\n"), sent.stderr
    # A task that fails and a missing key: exit 1 with the reason.
    refused = chatixia_a2a("send", setup.words, "please", "--skill", "refuse", "--header", key)
    assert refused.returncode == 1 and "TASK_STATE_FAILED: no, thanks" in refused.stderr, (refused.stdout, refused.stderr)
    locked = chatixia_a2a("card", setup.words)
    assert locked.returncode == 1 and "HTTP 401" in locked.stderr, locked.stderr
    malformed = chatixia_a2a("card", setup.words, "--header", "no colon")
    assert malformed.returncode == 64 and "--header 'no colon' is not 'NAME: VALUE'" in malformed.stderr, malformed.stderr  # a usage error
    # The mesh's own gateway streams: the card says so, and the answer is printed as the agent writes it.
    mesh = chatixia_a2a("card", setup.registry.url, "--json")
    assert mesh.returncode == 0 and json.loads(mesh.stdout)["capabilities"]["streaming"] is True, mesh.stderr
    echoed = chatixia_a2a("send", setup.registry.url, "hello", "--skill", "echo", "--header", f"x-api-key: {KEYS.admin}")
    assert echoed.returncode == 0 and echoed.stdout.endswith(":hello\n"), (echoed.stdout, echoed.stderr)
