"""The agent suite's registry and agents: `chatixia run` agents (pysupport's Agent), each with its own manifest
directory, skill folder and sidecar, against a real registry, plus a scripted OpenAI-compatible LLM server
(the only stand-in: no provider can be reached from here)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pysupport.agent import Agent, skill_json
from pysupport.ports import free_port
from pysupport.registry import Keys, Registry

KEYS = Keys(admin="agent-test-admin-key", agent="agent-test-key-{peer}")
PEERS = [f"sc-{i}" for i in range(1, 9)]
BUILTIN = ["delegate", "list_agents", "find_agent", "mesh_send", "mesh_broadcast", "user_intervention"]
# Each skill folder answers "<agent>:<message>", so a result shows which agent ran it.
ECHO_SKILL = {
    "skill.json": skill_json("echo", "Answers with the agent's name and the message"),
    "handler.py": "import os\n\ndef handle(message, **kwargs):\n    return f\"{os.environ['CHATIXIA_AGENT_ID']}:{message}\"\n",
}


def new_registry(workdir: Path) -> Registry:
    return Registry(workdir, KEYS, PEERS, log_level="warning")


def new_agent(registry: Registry, workdir: Path, name: str, *, peer: str | None, builtin: list[str] | None = None,
              manifest_extra: str = "", extra_env: dict | None = None, skills: dict | None = None) -> Agent:
    """An agent folder workdir/<name> with the echo skill and any further `skills` folders (not started). `peer`
    picks the registry key, and so the sidecar's peer id."""
    return Agent.create(registry, workdir, name, peer=peer, builtin=builtin or BUILTIN, manifest_extra=manifest_extra,
                        skills={"echo": ECHO_SKILL, **(skills or {})}, extra_env=extra_env, stop_timeout=15)


class ScriptedLLM:
    """An OpenAI-compatible chat-completions server: on a user prompt it asks for one tool call, by default
    `delegate` (to `delegate_to`, skill echo, with the prompt as message), else `call` (a tool name and its
    arguments); once the tool result is in, it answers "relayed <result>". With `pieces` it answers a user
    prompt with that text instead, as server-sent events `gap` seconds apart when the request asks for a
    stream. Records every request body."""

    def __init__(self, delegate_to: str = "", call: tuple[str, dict] | None = None, pieces: list[str] | None = None, gap: float = 0.0):
        self.delegate_to = delegate_to
        self.call = call
        self.pieces = pieces
        self.gap = gap
        self.requests: list[dict] = []
        llm = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                llm.requests.append(body)
                last = body["messages"][-1]
                if llm.pieces is not None and last["role"] == "user" and body.get("stream"):
                    return self.stream(llm.pieces)
                if llm.pieces is not None and last["role"] == "user":
                    message = {"role": "assistant", "content": "".join(llm.pieces)}
                elif last["role"] == "tool":
                    message = {"role": "assistant", "content": f"relayed {last['content']}"}
                else:
                    name, arguments = llm.call or ("delegate", {"message": last["content"], "target_agent_id": llm.delegate_to, "skill": "echo"})
                    message = {"role": "assistant", "content": None,
                               "tool_calls": [{"id": f"call_{len(llm.requests)}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]}
                reply = json.dumps({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def stream(self, pieces: list[str]):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                deltas = [{"role": "assistant", "content": ""}] + [{"content": piece} for piece in pieces]
                for delta in deltas:
                    chunk = {"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(llm.gap)
                self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def env(self) -> dict:
        return {"OPENAI_API_KEY": "sk-scripted", "OPENAI_BASE_URL": f"http://127.0.0.1:{self.server.server_address[1]}/v1", "OPENAI_MODEL": "scripted"}

    def close(self) -> None:
        self.server.shutdown()
