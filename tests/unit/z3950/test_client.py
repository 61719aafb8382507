"""The asyncio client against small in-process targets that misbehave on purpose.

Real peers (yaz-ztest, zebrasrv) cannot be made to drop a connection mid-search or interpose a
resource-control request on cue; these targets run shelfnet's own protocol core in the target
role and do exactly one odd thing each. Interop with real peers is in tests/interop.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable

import pytest

from shelfnet.z3950.client import Connection, Target
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.errors import (
    ConnectError,
    DiagnosticError,
    InitRefused,
    RemoteProtocolError,
    ServerClosed,
    TargetTimeout,
)
from shelfnet.z3950.events import (
    AccessControlRequest,
    AccessControlResponse,
    Close,
    CloseReason,
    InitRequest,
    InitResponse,
    ResourceControlRequest,
    ResourceControlResponse,
    SearchRequest,
    SearchResponse,
    TriggerResourceControlRequest,
)
from shelfnet.z3950.protocol import Connection as Protocol
from shelfnet.z3950.protocol import Role

Handler = Callable[[Protocol, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_event(proto: Protocol, reader: asyncio.StreamReader) -> object:
    while (event := proto.next_event()) is None:
        proto.receive_data(await reader.read(65536))
    return event


async def with_target(handler: Handler, client: Callable[[int], Awaitable[None]]) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        proto = Protocol(Role.TARGET)
        try:
            await handler(proto, reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await client(port)


async def accept_init(proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):  # type: ignore[no-untyped-def]
    assert isinstance(await read_event(proto, reader), InitRequest)
    writer.write(proto.send(InitResponse(accepted=True, options=frozenset({"search"}))))


def test_target_string_parses_like_yaz() -> None:
    assert Target.parse("z3950.loc.gov:7090/Voyager") == Target("z3950.loc.gov", 7090, ("Voyager",))
    assert Target.parse("localhost/a+b") == Target("localhost", 210, ("a", "b"))
    with pytest.raises(ValueError, match="not a number"):
        Target.parse("host:xx/db")


def test_a_closed_port_fails_with_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused

        async def run() -> None:
            await Connection("127.0.0.1", port, connect_timeout=2).connect()

        with pytest.raises(ConnectError):
            asyncio.run(run())


def test_a_target_that_never_answers_times_out_within_the_timeout() -> None:
    async def silent(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await asyncio.sleep(10)

    async def client(port: int) -> None:
        started = time.monotonic()
        with pytest.raises(TargetTimeout):
            await Connection("127.0.0.1", port, timeout=0.5).connect()
        assert time.monotonic() - started < 2

    asyncio.run(with_target(silent, client))


def test_a_refused_init_carries_the_targets_diagnostic() -> None:
    async def refuse(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await read_event(proto, reader)
        writer.write(proto.send(InitResponse(accepted=False, diagnostic=Diagnostic(1011, "bob"))))
        await writer.drain()

    async def client(port: int) -> None:
        with pytest.raises(InitRefused) as caught:
            await Connection("127.0.0.1", port, user="bob", password="x").connect()
        assert caught.value.diagnostic == Diagnostic(1011, "bob")

    asyncio.run(with_target(refuse, client))


def test_a_close_in_the_middle_of_a_search_raises_server_closed_with_the_reason() -> None:
    async def close_on_search(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_init(proto, reader, writer)
        assert isinstance(await read_event(proto, reader), SearchRequest)
        writer.write(proto.send(Close(CloseReason.SYSTEM_PROBLEM, info="index corrupt")))
        assert isinstance(await read_event(proto, reader), Close)  # the client answers

    async def client(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            with pytest.raises(ServerClosed) as caught:
                await conn.search("@attr 1=4 jazz")
        assert caught.value.reason == "system problem"
        assert caught.value.info == "index corrupt"

    asyncio.run(with_target(close_on_search, client))


def test_a_dropped_connection_in_the_middle_of_a_search_raises_server_closed() -> None:
    async def drop(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_init(proto, reader, writer)
        await read_event(proto, reader)

    async def client(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            with pytest.raises(ServerClosed, match="dropped"):
                await conn.search("@attr 1=4 jazz")

    asyncio.run(with_target(drop, client))


def test_garbage_from_the_target_raises_remote_protocol_error() -> None:
    async def garbage(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await read_event(proto, reader)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    async def client(port: int) -> None:
        with pytest.raises(RemoteProtocolError):
            await Connection("127.0.0.1", port, timeout=2).connect()

    asyncio.run(with_target(garbage, client))


def test_resource_and_access_control_requests_are_answered_mid_search() -> None:
    answers: list[object] = []

    async def interpose(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_init(proto, reader, writer)
        await read_event(proto, reader)
        writer.write(proto.send(ResourceControlRequest(response_required=True)))
        answers.append(await read_event(proto, reader))
        writer.write(proto.send(AccessControlRequest(simple=b"password?")))
        answers.append(await read_event(proto, reader))
        writer.write(proto.send(SearchResponse(result_count=7)))
        await read_event(proto, reader)

    async def client(port: int) -> None:
        async with Connection("127.0.0.1", port, password="secret") as conn:
            result = await conn.search("@attr 1=4 jazz")
            assert result.size == 7

    asyncio.run(with_target(interpose, client))
    assert answers == [
        ResourceControlResponse(continue_=True),
        AccessControlResponse(simple=b"secret"),
    ]


def test_trigger_resource_control_reaches_the_target_mid_search() -> None:
    seen: list[object] = []

    async def slow(
        proto: Protocol, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_init(proto, reader, writer)
        await read_event(proto, reader)
        seen.append(await read_event(proto, reader))
        writer.write(proto.send(SearchResponse(result_count=0, search_status=False)))
        await read_event(proto, reader)

    async def client(port: int) -> None:
        async with Connection("127.0.0.1", port) as conn:
            search = asyncio.create_task(conn.search("@attr 1=4 jazz"))
            await asyncio.sleep(0.1)
            conn.trigger_resource_control(3)
            with pytest.raises(DiagnosticError):
                await search

    asyncio.run(with_target(slow, client))
    assert seen == [TriggerResourceControlRequest(action=3)]
