"""`chatixia run` agents as real processes: from a folder (a copy of an example, one `chatixia init` made, or
one written here with `create`), each with the sidecar it starts itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from pysupport.processes import ManagedProcess, bin_dir
from pysupport.registry import Registry
from pysupport.waits import wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: What an agent must not inherit from the environment the tests run in.
UNINHERITED = ("API_KEY", "DEVICE_TOKEN", "OPENAI_API_KEY", "LLM_PROVIDER", "SIDECAR_BINARY")


class Agent(ManagedProcess):
    """One `chatixia run` process for the agent folder `folder`, optionally inside the network namespace
    `netns`. `key` goes in as API_KEY (a manifest may name its own instead). The sockets live in the folder's
    parent: XDG_RUNTIME_DIR keeps the default path there too."""

    def __init__(self, registry: Registry, folder: Path, *, key: str | None = None, netns: str | None = None, extra_env: dict | None = None,
                 log_level: str = "info", stop_timeout: float = 20, binaries: Path | None = None):
        self.registry = registry
        self.folder = folder
        self.name = folder.name
        self.netns = netns
        self.stop_timeout = stop_timeout  # an agent deregisters and stops its sidecar first
        self.binary = (binaries or bin_dir()) / "chatixia"
        self.log_path = folder.parent / f"{self.name}.agent.log"
        inherited = {k: v for k, v in os.environ.items() if k not in UNINHERITED}
        self.env = {**inherited, "ICE_HOST_ADDRESSES": "127.0.0.1", "XDG_RUNTIME_DIR": str(folder.parent), "LOG_LEVEL": log_level,
                    **({"API_KEY": key} if key else {}), **(extra_env or {})}

    @classmethod
    def create(cls, registry: Registry, workdir: Path, name: str, *, peer: str | None, builtin: list[str], manifest_extra: str = "",
               skills: dict[str, dict[str, str]] | None = None, **options) -> "Agent":
        """A folder workdir/<name> with an agent.yaml for `registry` (the sidecar with `peer`'s key; no sidecar
        without `peer`), the `builtin` skills, and skill folders from `skills` ({folder: {file name: text}};
        a file named `handler` is made executable)."""
        folder = workdir / name
        (folder / "skills").mkdir(parents=True, exist_ok=True)
        lines = [f"name: {name}", f"registry: {registry.url}", "provider: openai", "skills:", f"  builtin: [{', '.join(builtin)}]",
                 "  dirs: [./skills]"]
        if peer:
            lines += ["sidecar:", f"  api_key: {registry.keys.for_peer(peer)}"]
        (folder / "agent.yaml").write_text("\n".join(lines) + "\n" + manifest_extra)
        for skill, files in (skills or {}).items():
            (folder / "skills" / skill).mkdir(parents=True, exist_ok=True)
            for file_name, text in files.items():
                (folder / "skills" / skill / file_name).write_text(text)
                if file_name == "handler":
                    (folder / "skills" / skill / file_name).chmod(0o755)
        return cls(registry, folder, **options)

    @classmethod
    def from_example(cls, registry: Registry, workdir: Path, example: str, *, name: str | None = None, peer: str | None = None, **options) -> "Agent":
        """A copy of examples/<example> named `name`, pointed at `registry`, with the key of `peer`."""
        folder = workdir / (name or example)
        shutil.copytree(EXAMPLES / example, folder, ignore=shutil.ignore_patterns(".chatixia", ".env", "__pycache__"))
        manifest = folder / "agent.yaml"
        text = manifest.read_text()
        text = "\n".join(f'registry: "{registry.url}"' if line.startswith("registry:") else
                         f"name: {folder.name}" if line.startswith("name:") else line for line in text.splitlines()) + "\n"
        manifest.write_text(text)
        return cls(registry, folder, key=registry.keys.for_peer(peer or folder.name), **options)

    def command(self) -> list:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        return [*prefix, self.binary, "run", str(self.folder / "agent.yaml")]

    def start(self, wait: bool = True, timeout: float = 40) -> "Agent":
        """Starts the process and, with `wait`, returns once the agent logs that it is ready."""
        self.ready_seen = self.log().count(" ready ")
        self.spawn(self.command(), env=self.env, cwd=self.folder)
        if wait:
            wait_until(lambda: self.log().count(" ready ") > self.ready_seen or self.process.poll() is not None, f"{self.name} to be ready", timeout=timeout)
            assert self.process.poll() is None, f"{self.name} exited: {self.log()[-3000:]}"
        return self

    def log_lines(self, *words: str) -> list[str]:
        """The lines of its log that hold every one of `words` (`key=value` metadata included)."""
        return [line for line in self.log().splitlines() if all(word in line for word in words)]

    def sidecar_log(self) -> str:
        path = self.folder / ".chatixia" / "sidecar.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sidecar_pids(self) -> list[int]:
        if not self.process:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def connected_count(self, peer: str) -> int:
        return self.log().count(f"peer connected  peer_id={peer}")

    def sees(self, *peers: str) -> bool:
        return all(self.connected_count(peer) > 0 for peer in peers)


def skill_json(name: str, description: str, **extra) -> str:
    """A skill.json with one required string parameter, `message`."""
    return json.dumps({"name": name, "description": description, "parameters": {"message": {"type": "string", "required": True}}, **extra})
