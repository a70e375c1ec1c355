"""MCP servers from the manifest's `mcp_servers`: a real FastMCP server (the official `mcp` package) over stdio,
whose tools become the agent's skills, callable through the queue, over the DataChannel and by the LLM."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from agents import ScriptedLLM
from pysupport.waits import wait_until

SERVER = Path(__file__).resolve().parent / "mcp_server.py"
TOOLS = ["add", "shout", "total", "refuse", "crash"]


def mcp_manifest(command: str = sys.executable) -> str:
    # The server gets a clean environment: MCP_PID_FILE reaches it only because its entry asks for it.
    return (f"mcp_servers:\n  calc:\n    command: {command}\n    args: [{SERVER}]\n    description: a calculator\n"
            "    env: {MCP_PID_FILE: '${MCP_PID_FILE}'}\n")


def pid_alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z"


def test_mcp_tools_are_skills_on_the_queue_and_over_the_datachannel(agents, registry, workdir):
    pid_file = workdir / "calc.pid"
    alpha = agents("alpha", peer="sc-1", manifest_extra=mcp_manifest(), extra_env={"MCP_PID_FILE": str(pid_file)})
    beta = agents("beta", peer="sc-2")
    status, record = registry.api("GET", "/api/registry/agents/alpha")
    assert status == 200
    assert record["capabilities"]["mcp_servers"] == ["calc"]
    assert all(tool in record["capabilities"]["skills"] for tool in TOOLS), record["capabilities"]["skills"]
    assert "MCP tools available  server=calc tools=add,shout,total,refuse,crash" in alpha.log()

    assert registry.run_task(skill="add", target_agent_id="alpha", payload={"a": 2, "b": 3})["result"] == "5"
    assert registry.run_task(skill="shout", target_agent_id="alpha", payload={"message": "hi", "times": 2})["result"] == "HI HI"
    # An array parameter passes through to the server, which checks it.
    assert registry.run_task(skill="total", target_agent_id="alpha", payload={"numbers": [1, 2.5]})["result"] == "total=3.5"

    # Arguments are checked against the tool's inputSchema before the server sees them.
    wrong = registry.run_task(skill="add", target_agent_id="alpha", payload={"a": "two", "b": 3})
    assert wrong["state"] == "failed" and wrong["error"] == "invalid arguments for add: parameter 'a' must be an integer, got the string \"two\"", wrong
    missing = registry.run_task(skill="total", target_agent_id="alpha", payload={})
    assert missing["state"] == "failed" and missing["error"] == "invalid arguments for total: missing required parameter 'numbers'", missing
    refused = registry.run_task(skill="refuse", target_agent_id="alpha", payload={"reason": "not today"})
    assert refused["state"] == "failed" and "refuse failed:" in refused["error"] and "not today" in refused["error"], refused

    # Another agent reaches the tool over the DataChannel like any skill.
    wait_until(lambda: beta.sees("sc-1"), "beta to see alpha", timeout=30)
    delegated = registry.run_task(skill="delegate", target_agent_id="beta", payload={"message": "p2p", "target_agent_id": "alpha", "skill": "shout"})
    assert delegated["result"] == "P2P", delegated
    assert "delegated over the DataChannel" in beta.log()

    # The server stops with the agent.
    pid = int(pid_file.read_text())
    assert pid_alive(pid)
    assert alpha.stop() == 0, alpha.log()
    assert not pid_alive(pid)


def test_the_llm_gets_mcp_tools_with_their_schema_and_calls_them(agents, registry):
    llm = ScriptedLLM(call=("add", {"a": 4, "b": 5}))
    try:
        agents("alpha", peer="sc-1", manifest_extra=mcp_manifest(), extra_env=llm.env)
        task = registry.run_task(skill="user_intervention", target_agent_id="alpha", payload={"message": "what is 4 + 5?"})
        assert task["result"] == "relayed 9", task
        tools = {tool["function"]["name"]: tool["function"] for tool in llm.requests[0]["tools"]}
        assert tools["add"]["description"] == "Adds two integers."
        assert tools["add"]["parameters"]["properties"]["a"]["type"] == "integer"
        assert tools["add"]["parameters"]["required"] == ["a", "b"]
        assert tools["total"]["parameters"]["properties"]["numbers"]["type"] == "array"
        assert llm.requests[1]["messages"][-1] == {"role": "tool", "content": "9", "tool_call_id": "call_1"}
    finally:
        llm.close()


def test_a_crashed_mcp_server_fails_calls_clearly_and_at_once(agents, registry):
    alpha = agents("alpha", peer="sc-1", manifest_extra=mcp_manifest())
    started = time.monotonic()
    crashed = registry.run_task(skill="crash", target_agent_id="alpha", payload={})
    assert time.monotonic() - started < 10, "a dead server must not leave the call waiting"
    assert crashed["state"] == "failed", crashed
    assert crashed["error"].startswith("MCP server 'calc' exited with status 3"), crashed
    assert "calc: crashing on purpose" in crashed["error"]
    after = registry.run_task(skill="add", target_agent_id="alpha", payload={"a": 1, "b": 1})
    assert after["state"] == "failed" and after["error"].startswith("MCP server 'calc' exited with status 3"), after
    assert "MCP server exited" in alpha.log() and "status=3" in alpha.log()


def test_an_mcp_server_that_cannot_start_leaves_the_agent_running_without_it(agents, registry):
    alpha = agents("alpha", peer="sc-1", manifest_extra=mcp_manifest(command="./no-such-mcp-server"))
    assert "MCP server not available" in alpha.log() and "no-such-mcp-server was not found" in alpha.log()
    status, record = registry.api("GET", "/api/registry/agents/alpha")
    assert record["capabilities"]["mcp_servers"] == []
    assert registry.run_task(skill="echo", target_agent_id="alpha", payload={"message": "still here"})["result"] == "alpha:still here"
