"""`chatixia run` agents as real processes, each with its own manifest directory, skill folder and sidecar,
against the real registry from the sidecar tests' harness, plus a scripted OpenAI-compatible LLM server
(the only stand-in: no provider can be reached from here)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sidecar"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pysupport"))
from managed_process import ManagedProcess  # noqa: E402
from registry_api import call_json  # noqa: E402
from processes import ADMIN_KEY, BIN_DIR, Registry, api_key, free_port, wait_until  # noqa: E402

__all__ = ["ADMIN_KEY", "BIN_DIR", "Agent", "Registry", "ScriptedLLM", "api", "free_port", "run_task", "wait_until"]

# Each skill folder answers "<agent>:<message>", so a result shows which agent ran it.
ECHO_SKILL = {
    "name": "echo",
    "description": "Answers with the agent's name and the message",
    "parameters": {"message": {"type": "string", "required": True}},
}
ECHO_HANDLER = "import os\n\ndef handle(message, **kwargs):\n    return f\"{os.environ['CHATIXIA_AGENT_ID']}:{message}\"\n"


def api(registry: Registry, method: str, path: str, body=None, key: str = ADMIN_KEY, headers: dict | None = None):
    """One registry call; returns (status, parsed JSON body)."""
    return call_json(registry.url, method, path, body, key, headers)


class Agent(ManagedProcess):
    """One `chatixia run` process. `peer` picks the registry key (and so the sidecar's peer id)."""

    stop_timeout = 15  # an agent deregisters and stops its sidecar first

    def __init__(self, registry: Registry, workdir: Path, name: str, *, peer: str | None, builtin: list[str] | None = None,
                 extra_env: dict | None = None, manifest_extra: str = ""):
        self.registry = registry
        self.name = name
        self.peer = peer
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        skills = builtin or ["delegate", "list_agents", "find_agent", "mesh_send", "mesh_broadcast", "user_intervention"]
        lines = [f"name: {name}", f"registry: {registry.url}", "provider: openai", "skills:", "  builtin:"]
        lines += [f"    - {skill}" for skill in skills]
        lines += ["  dirs: [./skills]"]
        if peer:
            lines += ["sidecar:", f"  api_key: {api_key(peer)}"]
        self.manifest = self.dir / "agent.yaml"
        self.manifest.write_text("\n".join(lines) + "\n" + manifest_extra)
        (self.dir / "skills" / "echo").mkdir(parents=True, exist_ok=True)
        (self.dir / "skills" / "echo" / "skill.json").write_text(json.dumps(ECHO_SKILL))
        (self.dir / "skills" / "echo" / "handler.py").write_text(ECHO_HANDLER)
        self.log_path = workdir / f"{name}.agent.log"
        # The sockets live in the test's directory; XDG_RUNTIME_DIR keeps the default path there too.
        inherited = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "DEVICE_TOKEN", "OPENAI_API_KEY", "LLM_PROVIDER")}
        self.env = {**inherited, "ICE_HOST_ADDRESSES": "127.0.0.1", "XDG_RUNTIME_DIR": str(workdir), "LOG_LEVEL": "info", **(extra_env or {})}
        self.process: subprocess.Popen | None = None

    def start(self, wait_ready: bool = True) -> "Agent":
        self.ready_seen = self.log().count(" ready ")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([BIN_DIR / "chatixia", "run", str(self.manifest)], cwd=self.dir, env=self.env, stdout=log, stderr=log)
        if wait_ready:
            wait_until(lambda: self.log().count(" ready ") > self.ready_seen or self.process.poll() is not None, f"{self.name} to be ready", timeout=30)
            assert self.process.poll() is None, f"{self.name} exited: {self.log()}"
        return self

    def sidecar_pids(self) -> list[int]:
        if not self.process:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def sees_peers(self, *peers: str) -> bool:
        log = self.log()
        return all(f"peer connected  peer_id={peer}" in log for peer in peers)


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


def wait_for_task(registry: Registry, task_id: str, timeout: float = 30) -> dict:
    def final():
        status, task = api(registry, "GET", f"/api/hub/tasks/{task_id}")
        return task if status == 200 and task["state"] in ("completed", "failed") else None
    return wait_until(final, f"task {task_id} to finish", timeout=timeout)


def run_task(registry: Registry, **task) -> dict:
    """Submits a task as the hub would and waits for its outcome."""
    status, body = api(registry, "POST", "/api/hub/tasks", task)
    assert status == 200, body
    return wait_for_task(registry, body["task_id"])
