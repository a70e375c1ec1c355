"""An A2A 1.0 client for the test suites: the official a2a-sdk's, on a card fetched from a base URL."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import httpx
from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct

from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.helpers import new_data_part, new_text_part
from a2a.types.a2a_pb2 import Message, Role, SendMessageConfiguration, SendMessageRequest, StreamResponse

TIMEOUT = 60.0


@contextlib.asynccontextmanager
async def connect(base_url: str, key: str | None, *, streaming: bool = False):
    """Yields (client, card): the card from base_url's /.well-known/agent-card.json, the client on the JSONRPC
    interface it names. The key rides on the httpx client, so every call carries it (the factory adds
    A2A-Version: 1.0 to the same client's headers)."""
    http = httpx.AsyncClient(headers={"x-api-key": key} if key else {}, timeout=TIMEOUT)
    try:
        card = await A2ACardResolver(http, base_url).get_agent_card()
        yield ClientFactory(ClientConfig(httpx_client=http, streaming=streaming)).create(card), card
    finally:
        await http.aclose()


def a2a(action, base_url: str, key: str | None, *, streaming: bool = False):
    """Runs `await action(client)` on a fresh client for base_url's card, sending `key` as x-api-key; returns
    its value (or raises)."""
    async def main():
        async with connect(base_url, key, streaming=streaming) as (client, _):
            return await action(client)
    return asyncio.run(main())


def message(*, skill: str | None = None, data: dict | None = None, text: str | None = None, context_id: str = "",
            target: str | None = None, parts: list | None = None) -> Message:
    metadata = Struct()
    metadata.update({**({"skill": skill} if skill else {}), **({"target_agent_id": target} if target else {})})
    parts = parts or [*([new_data_part(data)] if data is not None else []), *([new_text_part(text)] if text else [])]
    return Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=parts, metadata=metadata, context_id=context_id)


def send_request(msg: Message, *, return_immediately: bool = False) -> SendMessageRequest:
    return SendMessageRequest(message=msg, configuration=SendMessageConfiguration(return_immediately=return_immediately))


def send(msg: Message, *, return_immediately: bool = False):
    """An action: SendMessage (a client made with streaming=True sends SendStreamingMessage); every event."""
    async def action(client) -> list[StreamResponse]:
        return [event async for event in client.send_message(send_request(msg, return_immediately=return_immediately))]
    return action


def jsonrpc_send(msg: Message, *, return_immediately: bool = False) -> dict:
    """The JSON-RPC request the SDK's client sends for SendMessage (to POST with A2A-Version: 1.0)."""
    return {"jsonrpc": "2.0", "method": "SendMessage", "id": str(uuid.uuid4()),
            "params": json_format.MessageToDict(send_request(msg, return_immediately=return_immediately))}


def send_timed(msg: Message):
    """An action like `send`, each event with the time it arrived, `time.time()`, which compares with the times
    other processes on this machine record: [(arrived, event)], to tell what a stream delivered as it happened
    from what came all at once."""
    async def action(client) -> list[tuple[float, StreamResponse]]:
        request = SendMessageRequest(message=msg, configuration=SendMessageConfiguration())
        return [(time.time(), event) async for event in client.send_message(request)]
    return action
