"""The IPC socket under misuse: every bad input gets a clear error line and the sidecar keeps serving."""

from __future__ import annotations

import os
import stat
import subprocess
import time

from pysupport.ipc import IPCClient
from pysupport.sidecar import Sidecar
from pysupport.waits import wait_until


def test_bad_lines_get_errors_and_the_connection_survives(sidecars):
    agent = sidecars("sc-1").connect()
    agent.send_raw(b"this is not json\n")
    assert "not valid JSON" in agent.next("error")["payload"]["error"]
    agent.send_raw(b"[1, 2, 3]\n")
    assert "not a JSON object" in agent.next("error")["payload"]["error"]
    agent.send("teleport", {}, id_="t1")
    error = agent.next("error")["payload"]
    assert error["id"] == "t1" and "unknown command" in error["error"]
    agent.send("send", {"target_peer": "sc-2"}, id_="t2")
    error = agent.next("error")["payload"]
    assert error["id"] == "t2" and "payload.message" in error["error"]
    agent.send("send", {"message": {"type": "ping"}}, id_="t3")
    assert "payload.target_peer" in agent.next("error")["payload"]["error"]
    # Blank lines are ignored; the connection still answers.
    agent.send_raw(b"\n  \n")
    agent.send("list_peers", {}, id_="ok")
    assert agent.next("peer_list")["payload"] == {"peers": []}
    assert agent.next("ack")["payload"] == {"id": "ok"}


def test_an_oversized_line_is_refused_and_the_next_agent_is_served(sidecars):
    sidecar = sidecars("sc-1")
    agent = sidecar.connect()
    try:
        agent.send_raw(b"{" + b"x" * (3 << 20))
    except BrokenPipeError:
        pass  # the sidecar may hang up before the whole line is written
    assert "longer than" in agent.next("error")["payload"]["error"]
    wait_until(agent.closed.is_set, "the sidecar to close the connection")
    assert sidecar.process.poll() is None
    again = sidecar.connect()
    again.send("list_peers", {})
    assert again.next("peer_list")["payload"] == {"peers": []}


def test_a_second_concurrent_client_is_refused_and_the_sidecar_outlives_the_first(sidecars):
    sidecar = sidecars("sc-1")
    first = sidecar.connect()
    first.send("list_peers", {})
    first.next("peer_list")
    second = sidecar.connect()
    assert "already connected" in second.next("error")["payload"]["error"]
    wait_until(second.closed.is_set, "the second client to be closed")
    first.close()
    # The sidecar stays up and takes the next agent connection.
    wait_until(lambda: _served(sidecar), "a new client to be served after the first left")
    assert sidecar.process.poll() is None


def _served(sidecar: Sidecar) -> bool:
    client = sidecar.connect()
    try:
        client.send("list_peers", {})
        return client.next(timeout=2)["type"] == "peer_list"
    except (AssertionError, OSError):
        return False
    finally:
        client.close()


def test_hello_token_is_required_when_configured(sidecars):
    sidecar = sidecars("sc-1", extra_env={"CHATIXIA_IPC_TOKEN": "s3cret-token"})
    wrong = sidecar.connect()
    wrong.send("hello", {"token": "guess"})
    assert "hello" in wrong.next("error")["payload"]["error"]
    wait_until(wrong.closed.is_set, "the wrong-token client to be closed")

    skipped = sidecar.connect()
    skipped.send("list_peers", {})
    assert skipped.next("error")["type"] == "error"
    wait_until(skipped.closed.is_set, "the client without hello to be closed")

    right = sidecar.connect()
    right.send("hello", {"token": "s3cret-token"}, id_="h")
    assert right.next("ack")["payload"] == {"id": "h"}
    right.send("list_peers", {})
    assert right.next("peer_list")["payload"] == {"peers": []}


def test_default_socket_lives_in_a_private_directory(registry, workdir):
    runtime = workdir / "runtime"
    runtime.mkdir()
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    sidecar = Sidecar(registry, workdir, "sc-1", extra_env=env, socket_path=runtime / "chatixia" / "sidecar.sock")
    sidecar.env.pop("IPC_SOCKET")
    sidecar.start()
    try:
        directory = runtime / "chatixia"
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(sidecar.socket_path).st_mode) == 0o600
        assert stat.S_ISSOCK(os.stat(sidecar.socket_path).st_mode)
        client = IPCClient(sidecar.socket_path)
        client.send("list_peers", {})
        assert client.next("peer_list")["type"] == "peer_list"
    finally:
        assert sidecar.stop() == 0
    # A clean stop removes the socket.
    assert not sidecar.socket_path.exists()


def test_configuration_errors_exit_2_with_a_message(registry, workdir):
    sidecar = Sidecar(registry, workdir, "sc-1", extra_env={"ICE_HOST_ADDRESSES": "not-an-ip"})
    log = open(sidecar.log_path, "ab")
    env = dict(sidecar.env)
    assert subprocess.run([sidecar.binary], env=env, stdout=log, stderr=log, timeout=30).returncode == 2
    assert "ICE_HOST_ADDRESSES=not-an-ip is invalid" in sidecar.log()
    env.pop("API_KEY")
    env["ICE_HOST_ADDRESSES"] = "127.0.0.1"
    assert subprocess.run([sidecar.binary], env=env, stdout=log, stderr=log, timeout=30).returncode == 2
    assert "set API_KEY or DEVICE_TOKEN" in sidecar.log()


def test_a_refused_credential_exits_1_before_the_socket_exists(registry, workdir):
    sidecar = Sidecar(registry, workdir, "sc-1", extra_env={"API_KEY": "sidecar-test-key-nobody"})
    started = time.monotonic()
    result = subprocess.run([sidecar.binary], env=sidecar.env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "refused our credential" in result.stderr
    assert not sidecar.socket_path.exists()
    assert time.monotonic() - started < 10
