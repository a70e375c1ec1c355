"""The reference A2A 1.0 server of bench/a2a: the official a2a-sdk server (JSON-RPC binding, DefaultRequestHandler
with an InMemoryTaskStore) served by uvicorn on 127.0.0.1, with a trivial AgentExecutor answering the text of the
message. On /a2a it answers as our gateway does, with a task: submitted (the message in its history), working,
the text as the artifact `result`, completed with the text as its status message. On /a2a/message it answers
with just a message holding the text, the least an executor can do. No credential is checked.

    python sdk_echo.py PORT

`SDKEchoServer` runs it as a process."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from pysupport.processes import ManagedProcess
from pysupport.waits import wait_until

SERVER = Path(__file__).resolve()
TASK_PATH, MESSAGE_PATH = "/a2a", "/a2a/message"


class SDKEchoServer(ManagedProcess):
    """This module's server as a process on `port`, its log in `workdir`."""

    def __init__(self, workdir: Path, port: int):
        self.port = port
        self.log_path = workdir / "sdk-echo.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "SDKEchoServer":
        self.spawn([sys.executable, str(SERVER), str(self.port)], env=None)
        wait_until(self._up, f"the a2a-sdk server to serve its card on {self.url}", timeout=timeout, interval=0.1)
        return self

    def _up(self) -> bool:
        assert self.process.poll() is None, f"the a2a-sdk server exited with {self.process.returncode}: {self.log()[-3000:]}"
        try:
            return httpx.get(f"{self.url}/.well-known/agent-card.json", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def serve(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette

    from a2a.helpers import get_message_text, new_text_message, new_text_part
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
    from a2a.types.a2a_pb2 import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, Task, TaskState, TaskStatus

    class TaskEcho(AgentExecutor):
        async def execute(self, context, event_queue):
            text = get_message_text(context.message)
            await event_queue.enqueue_event(Task(id=context.task_id, context_id=context.context_id,
                                                 status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED), history=[context.message]))
            updater = TaskUpdater(event_queue, context.task_id, context.context_id)
            await updater.start_work()
            await updater.add_artifact([new_text_part(text)], name="result")
            await updater.complete(new_text_message(text, context_id=context.context_id, task_id=context.task_id))

        async def cancel(self, context, event_queue):
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    class MessageEcho(AgentExecutor):
        async def execute(self, context, event_queue):
            await event_queue.enqueue_event(new_text_message(get_message_text(context.message), context_id=context.context_id))

        async def cancel(self, context, event_queue):
            pass

    card = AgentCard(
        name="sdk-echo", description="Answers with the text it is given", version="1.0.0",
        supported_interfaces=[AgentInterface(url=f"http://127.0.0.1:{port}{TASK_PATH}", protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=False, push_notifications=False, extended_agent_card=False),
        default_input_modes=["text/plain"], default_output_modes=["text/plain"],
        skills=[AgentSkill(id="echo", name="echo", description="Answers with its input", tags=["echo"])],
    )
    routes = [*create_agent_card_routes(card)]
    for path, executor in ((TASK_PATH, TaskEcho()), (MESSAGE_PATH, MessageEcho())):
        routes += create_jsonrpc_routes(DefaultRequestHandler(agent_executor=executor, task_store=InMemoryTaskStore(), agent_card=card), path)
    uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
