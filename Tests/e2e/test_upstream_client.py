"""The original Python client, `chatixia run` from chatixia 0.4.3 (PyPI, unchanged), joins our mesh with our
sidecar binary, takes a task from the queue, and exchanges P2P delegations with a Swift agent both ways.

What makes it work, and its limits (see UPSTREAM.md §4):
- 0.4.3 registers and heartbeats `sidecar_peer_id: "<name>-sidecar"`, and its `delegate` looks for the peer
  `"<target>-sidecar"`. Our sidecar's peer id is the one its credential maps to, so each agent's key must
  map to `"<agent name>-sidecar"` (here: upstream -> upstream-sidecar, swifty -> swifty-sidecar). With any
  other mapping the registry's record and the real peer disagree and 0.4.3 falls back to the queue.
- Its mesh skills send no credentials, so the registry runs with --allow-anonymous.
- It takes queued tasks only from heartbeat answers, every 15 s (no long-poll), so a task waits up to 15 s.
- On SIGTERM it deregisters and stops its sidecar but exits 1 ("Event loop stopped before Future completed")."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from pysupport.agent import EXAMPLES, Agent
from pysupport.processes import bin_dir
from pysupport.registry import Registry
from pysupport.waits import wait_until

CHATIXIA_0_4_3 = Path(sys.executable).parent / "chatixia"


def start_upstream(registry: Registry, workdir: Path) -> subprocess.Popen:
    folder = workdir / "upstream"
    folder.mkdir()
    (folder / "agent.yaml").write_text(f"""name: upstream
registry: {registry.url}
sidecar:
  binary: {bin_dir() / "chatixia-sidecar"}
  api_key: {registry.keys.for_peer("upstream-sidecar")}
  socket: {workdir / "upstream.sock"}
skills:
  builtin: [delegate, list_agents, find_agent, mesh_send, mesh_broadcast, user_intervention]
""")
    env = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "SIGNALING_URL", "TOKEN_URL")}
    env.update({"ICE_HOST_ADDRESSES": "127.0.0.1", "LOG_LEVEL": "info", "PYTHONUNBUFFERED": "1"})
    log = open(workdir / "upstream.log", "wb")
    return subprocess.Popen([CHATIXIA_0_4_3, "run", "agent.yaml"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_chatixia_0_4_3_run_joins_takes_a_queued_task_and_delegates_p2p_both_ways(workdir, cleanup, new_registry):
    registry = new_registry(["upstream-sidecar", "swifty-sidecar"], args=["--allow-anonymous"]).start()
    cleanup(registry)
    # A Swift agent named swifty with the math example's skill.
    folder = workdir / "swifty"
    shutil.copytree(EXAMPLES / "math-agent", folder, ignore=shutil.ignore_patterns(".chatixia", ".env", "__pycache__"))
    manifest = folder / "agent.yaml"
    manifest.write_text(manifest.read_text().replace("name: math-agent", "name: swifty").replace('registry: "http://127.0.0.1:8080"', f'registry: "{registry.url}"'))
    swifty = Agent(registry, folder, key=registry.keys.for_peer("swifty-sidecar")).start()
    cleanup(swifty)

    upstream = start_upstream(registry, workdir)
    log = lambda: (workdir / "upstream.log").read_text(errors="replace")  # noqa: E731
    try:
        wait_until(lambda: swifty.sees("upstream-sidecar"), "the DataChannel between the two sidecars", timeout=30)
        records = {r["agent_id"]: r for r in registry.api("GET", "/api/registry/agents")[1]}
        assert records["upstream"]["sidecar_peer_id"] == "upstream-sidecar"
        assert records["swifty"]["sidecar_peer_id"] == "swifty-sidecar"
        wait_until(lambda: ("swifty-sidecar", "upstream-sidecar") in registry.edges(), "the observed edge")

        # A task from the queue (delivered in a heartbeat answer).
        task = registry.run_task(skill="user_intervention", target_agent_id="upstream", payload={"message": "hello old friend"})
        assert task["state"] == "completed" and task["result"] == "Received: hello old friend", task

        # Swift -> Python over the DataChannel: 0.4.3 answers a task_request with its skill's result.
        to_python = registry.run_task(skill="delegate", target_agent_id="swifty", payload={"message": "ping", "target_agent_id": "upstream", "skill": "user_intervention"})
        assert to_python["state"] == "completed" and to_python["result"] == "Received: ping", to_python
        assert "delegated over the DataChannel" in swifty.log()

        # Python -> Swift over the DataChannel: its delegate finds "swifty-sidecar" connected and asks it.
        to_swift = registry.run_task(skill="delegate", target_agent_id="upstream", payload={"message": "6 * 7", "target_agent_id": "swifty", "skill": "calculate"})
        assert to_swift["state"] == "completed" and to_swift["result"] == "42", to_swift
        # Nothing went through the queue to swifty: the delegation itself was P2P.
        assert not [t for t in registry.api("GET", "/api/hub/tasks/all")[1] if t["target_agent_id"] == "swifty" and t["skill"] == "calculate"]
    finally:
        if upstream.poll() is None:
            upstream.send_signal(signal.SIGTERM)
            upstream.wait(timeout=20)
        print(log()[-3000:])
    code = upstream.returncode
    # 0.4.3 deregisters on SIGTERM (and then exits 1, see the module docstring).
    assert code == 1
    assert registry.api("GET", "/api/registry/agents/upstream")[0] == 404
    wait_until(lambda: ("swifty-sidecar", "upstream-sidecar") not in registry.edges(), "the edge to go")
