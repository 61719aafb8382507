"""Documents through a real delivery server on loopback: round trips, every refusal over
the wire, limits, TLS with a self-signed certificate (openssl), and fuzzed clients that must
never bring the server down."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfnet.ill.delivery import wire
from shelfnet.ill.delivery.client import DeliveryError, Refused, send_document
from shelfnet.ill.delivery.protocol import PDF, TIFF, DocumentHeader, RefusalCode
from shelfnet.ill.delivery.server import DeliveryServer, start_server
from shelfnet.ill.delivery.settings import DeliverySettings
from shelfnet.ill.delivery.wire import FrameType
from tests.unit.ill.delivery.test_checks import (
    HTML,
    make_jpeg,
    make_pdf,
    make_tiff,
    make_zip,
    write_padded_pdf,
)

Delivered = tuple[DocumentHeader, Path, str, int]
WHO: dict[str, Any] = {"sender": "US-SUP", "receiver": "US-REQ", "ill_number": "2024-0042"}


def delivery_settings(tmp_path: Path, **changes: object) -> DeliverySettings:
    base = DeliverySettings(enabled=True, host="127.0.0.1", port=0, spool_dir=tmp_path / "spool")
    return replace(base, **changes)  # type: ignore[arg-type]


@asynccontextmanager
async def serving(
    settings: DeliverySettings, delivered: list[Delivered] | None = None, **options: object
) -> AsyncIterator[DeliveryServer]:
    def keep(header: DocumentHeader, path: Path, sha256: str, size: int) -> str:
        if delivered is not None:
            delivered.append((header, path, sha256, size))
        return f"doc-{path.stem}"

    server = await start_server(settings, keep, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        await server.close()


def port_of(server: DeliveryServer) -> int:
    return server.addresses[0][1]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def leftovers(settings: DeliverySettings) -> list[Path]:
    return list((settings.spool_dir / "incoming").iterdir())


# Round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "media_type"), [(make_pdf(5), PDF), (make_tiff(4), TIFF)])
def test_a_document_arrives_byte_for_byte_with_a_receipt(
    tmp_path: Path, data: bytes, media_type: str
) -> None:
    settings = delivery_settings(tmp_path)
    source = write(tmp_path, "scan.bin", data)
    delivered: list[Delivered] = []

    async def scenario() -> None:
        async with serving(settings, delivered) as server:
            receipt = await send_document(
                "127.0.0.1", port_of(server), source, transaction="77", notes="pp. 3-9", **WHO
            )
        header, path, sha256, size = delivered[0]
        assert receipt.document_id == f"doc-{path.stem}"
        assert receipt.sha256 == sha256 == hashlib.sha256(data).hexdigest()
        assert receipt.length == size == len(data)
        assert receipt.media_type == media_type == header.media_type
        assert (header.sender, header.receiver, header.ill_number) == (
            "US-SUP",
            "US-REQ",
            "2024-0042",
        )
        assert (header.transaction, header.notes) == ("77", "pp. 3-9")
        assert path.read_bytes() == data
        assert path.suffix == (".pdf" if media_type == PDF else ".tif")

    asyncio.run(scenario())
    assert leftovers(settings) == []


def test_a_big_pdf_streams_in_many_chunks(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path)
    source = tmp_path / "big.pdf"
    write_padded_pdf(source, 5 * 1024 * 1024)
    big = source.read_bytes()
    delivered: list[Delivered] = []

    async def scenario() -> None:
        async with serving(settings, delivered) as server:
            await send_document("127.0.0.1", port_of(server), source, chunk_size=100_000, **WHO)

    asyncio.run(scenario())
    assert delivered[0][1].read_bytes() == big


def test_the_sender_file_name_never_becomes_a_path(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path)
    source = write(tmp_path, "a.pdf", make_pdf())
    delivered: list[Delivered] = []

    async def scenario() -> None:
        async with serving(settings, delivered) as server:
            await send_document(
                "127.0.0.1", port_of(server), source, filename="../../../etc/cron.d/x.pdf", **WHO
            )

    asyncio.run(scenario())
    header, path, _, _ = delivered[0]
    assert header.filename == "../../../etc/cron.d/x.pdf"
    assert path.parent == settings.spool_dir / "documents"
    assert len(path.stem) == 32


# Refusals through the client ------------------------------------------------------------


def refusal(settings: DeliverySettings, path: Path, media_type: str, **options: Any) -> str:
    async def scenario() -> str:
        async with serving(settings, None, **options) as server:
            with pytest.raises(Refused) as refused:
                await send_document(
                    "127.0.0.1", port_of(server), path, media_type=media_type, **WHO
                )
            return str(refused.value.code)

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("data", "media_type", "code"),
    [
        (make_jpeg(), PDF, RefusalCode.NOT_PDF_OR_TIFF),
        (make_jpeg(), TIFF, RefusalCode.NOT_PDF_OR_TIFF),
        (HTML, PDF, RefusalCode.NOT_PDF_OR_TIFF),
        (make_pdf(3)[:-700], PDF, RefusalCode.TRUNCATED),
        (make_pdf() + make_zip(), PDF, RefusalCode.POLYGLOT),
        (make_tiff(2)[:-20_000], TIFF, RefusalCode.DAMAGED),
        (make_pdf(), TIFF, RefusalCode.MEDIA_TYPE_MISMATCH),
        (make_pdf(), "image/jpeg", RefusalCode.NOT_PDF_OR_TIFF),
    ],
)
def test_what_is_not_a_clean_pdf_or_tiff_is_refused_and_discarded(
    tmp_path: Path, data: bytes, media_type: str, code: RefusalCode
) -> None:
    settings = delivery_settings(tmp_path)
    assert refusal(settings, write(tmp_path, "f.pdf", data), media_type) == code
    assert leftovers(settings) == []
    assert list((settings.spool_dir / "documents").iterdir()) == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_sent(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path, max_size=1000)
    assert refusal(settings, write(tmp_path, "f.pdf", make_pdf()), PDF) == RefusalCode.TOO_LARGE


def test_a_receiver_not_served_here_is_refused(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path)
    source = write(tmp_path, "f.pdf", make_pdf())
    code = refusal(settings, source, PDF, is_known_receiver=lambda symbol: symbol == "US-OTHER")
    assert code == RefusalCode.UNKNOWN_RECEIVER


# Refusals to clients that lie, over a raw socket -------------------------------------------


def raw_exchange(
    port: int, data: bytes, *, close_early: bool = False
) -> list[tuple[int, dict[str, str]]]:
    """Send ``data`` as is, then read the server's frames until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
            if close_early:
                return []
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return parse_answer(answer)


def parse_answer(answer: bytes) -> list[tuple[int, dict[str, str]]]:
    assert answer[:8] == wire.PREAMBLE, answer[:40]
    frames, at = [], 8
    while at < len(answer):
        kind, length = wire.parse_frame_head(answer[at:])
        payload = answer[at + 5 : at + 5 + length]
        frames.append((kind, wire.decode_fields(payload) if length else {}))
        at += 5 + length
    return frames


def lying_client(body: bytes, declared: bytes) -> tuple[bytes, bytes]:
    """(preamble + HEADER declaring ``declared``, DATA ``body`` + END): a client that may lie."""
    head = DocumentHeader(
        "US-SUP", "US-REQ", "1", PDF, len(declared), hashlib.sha256(declared).hexdigest()
    )
    first = wire.PREAMBLE + wire.frame(FrameType.HEADER, wire.encode_fields(head.to_fields()))
    return first, wire.frame(FrameType.DATA, body) + wire.frame(FrameType.END)


def answer_to(settings: DeliverySettings, first: bytes, rest: bytes) -> dict[str, str]:
    async def scenario() -> list[tuple[int, dict[str, str]]]:
        async with serving(settings) as server:
            return await asyncio.to_thread(raw_exchange, port_of(server), first + rest)

    frames = asyncio.run(scenario())
    assert frames[-1][0] == FrameType.REFUSAL, frames
    return frames[-1][1]


def test_a_hash_that_does_not_match_is_refused(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path)
    pdf = make_pdf()
    altered = bytearray(pdf)
    altered[len(pdf) // 2] ^= 0xFF  # one byte changed on the way
    first, _ = lying_client(pdf, pdf)
    rest = wire.frame(FrameType.DATA, bytes(altered)) + wire.frame(FrameType.END)
    answer = answer_stepwise(settings, first, rest)
    assert answer["code"] == RefusalCode.HASH_MISMATCH
    assert leftovers(settings) == []


@pytest.mark.parametrize("extra", [-100, 100])
def test_a_length_header_that_lies_is_refused(tmp_path: Path, extra: int) -> None:
    settings = delivery_settings(tmp_path)
    pdf = make_pdf()
    sent = pdf + b"\n" * extra if extra > 0 else pdf[:extra]
    first, _ = lying_client(pdf, pdf)
    rest = wire.frame(FrameType.DATA, sent) + wire.frame(FrameType.END)
    assert answer_stepwise(settings, first, rest)["code"] == RefusalCode.LENGTH_MISMATCH
    assert leftovers(settings) == []


def test_a_connection_that_ends_inside_the_body_leaves_nothing_behind(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path)
    pdf = make_pdf()
    first, _ = lying_client(pdf, pdf)
    rest = wire.frame(FrameType.DATA, pdf)[: len(pdf) // 2]
    assert answer_stepwise(settings, first, rest)["code"] == RefusalCode.TRUNCATED
    assert leftovers(settings) == []


def answer_stepwise(settings: DeliverySettings, first: bytes, rest: bytes) -> dict[str, str]:
    """Header, wait for CONTINUE, then ``rest`` and end of file; the final answer's fields."""

    def talk(port: int) -> list[tuple[int, dict[str, str]]]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(first)
            answer = sock.recv(8 + 5)
            assert answer == wire.PREAMBLE + wire.frame(FrameType.CONTINUE)
            sock.sendall(rest)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                answer += chunk
        return parse_answer(answer)

    async def scenario() -> list[tuple[int, dict[str, str]]]:
        async with serving(settings) as server:
            return await asyncio.to_thread(talk, port_of(server))

    frames = asyncio.run(scenario())
    assert [kind for kind, _ in frames] == [FrameType.CONTINUE, FrameType.REFUSAL]
    return frames[-1][1]


def test_a_client_that_sends_the_body_without_waiting_is_refused(tmp_path: Path) -> None:
    pdf = make_pdf()
    first, rest = lying_client(pdf, pdf)
    answer = answer_to(delivery_settings(tmp_path), first, rest)
    assert answer["code"] == RefusalCode.PROTOCOL_ERROR


# Limits ------------------------------------------------------------------------------------


def test_a_connection_over_the_limit_is_told_the_server_is_busy(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path, max_connections=1)
    source = write(tmp_path, "f.pdf", make_pdf())

    async def scenario() -> str:
        async with serving(settings) as server:
            _, holder = await asyncio.open_connection("127.0.0.1", port_of(server))
            await asyncio.sleep(0.05)
            try:
                with pytest.raises(Refused) as refused:
                    await send_document("127.0.0.1", port_of(server), source, **WHO)
            finally:
                holder.close()
            return str(refused.value.code)

    assert asyncio.run(scenario()) == RefusalCode.BUSY


def test_a_silent_client_is_told_it_timed_out(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path, idle_timeout=0.2)

    async def scenario() -> list[tuple[int, dict[str, str]]]:
        async with serving(settings) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
            writer.write(wire.PREAMBLE)
            answer = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            return parse_answer(answer)

    (frame,) = asyncio.run(scenario())
    assert frame == (FrameType.REFUSAL, {"code": "timeout", "reason": "no data for too long"})


def test_a_failing_on_document_is_a_server_error_and_the_file_is_dropped(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path)
    source = write(tmp_path, "f.pdf", make_pdf())

    def broken(header: DocumentHeader, path: Path, sha256: str, size: int) -> str:
        raise RuntimeError("database is down")

    async def scenario() -> str:
        server = await start_server(settings, broken)
        try:
            with pytest.raises(Refused) as refused:
                await send_document("127.0.0.1", port_of(server), source, **WHO)
        finally:
            await server.close()
        return str(refused.value.code)

    assert asyncio.run(scenario()) == RefusalCode.SERVER_ERROR
    assert list((settings.spool_dir / "documents").iterdir()) == []


# TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_a_document_travels_inside_tls(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    settings = delivery_settings(tmp_path, tls_cert=cert, tls_key=key)
    data = make_tiff(3)
    source = write(tmp_path, "scan.tif", data)
    delivered: list[Delivered] = []
    trusting = ssl.create_default_context(cafile=str(cert))

    async def scenario() -> None:
        async with serving(settings, delivered) as server:
            receipt = await send_document("127.0.0.1", port_of(server), source, ssl=trusting, **WHO)
            assert receipt.media_type == TIFF
            with pytest.raises(ssl.SSLCertVerificationError):
                await send_document(
                    "127.0.0.1", port_of(server), source, ssl=ssl.create_default_context(), **WHO
                )
            with pytest.raises((DeliveryError, ConnectionError, TimeoutError)):
                await send_document("127.0.0.1", port_of(server), source, timeout=2, **WHO)

    asyncio.run(scenario())
    assert delivered[0][1].read_bytes() == data


# Fuzzed clients against the real server ---------------------------------------------------


@contextmanager
def server_in_thread(settings: DeliverySettings) -> Iterator[int]:
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: list[DeliveryServer] = []

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def begin() -> None:
            holder.append(await start_server(settings))
            started.set()

        loop.run_until_complete(begin())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield port_of(holder[0])
    finally:
        asyncio.run_coroutine_threadsafe(holder[0].close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


fields = st.dictionaries(
    st.sampled_from(["sender", "receiver", "ill-number", "media-type", "length", "sha256", "x"]),
    st.one_of(st.text(max_size=40), st.sampled_from([PDF, TIFF, "12", "0"])),
)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_fuzzed_clients_never_bring_the_server_down(tmp_path: Path) -> None:
    settings = delivery_settings(tmp_path, idle_timeout=2.0, max_size=100_000)
    pdf = make_pdf()
    source = write(tmp_path, "good.pdf", pdf)

    with server_in_thread(settings) as port:

        @settings_for_fuzz
        @given(fields, st.binary(max_size=3000), st.booleans(), st.booleans())
        def attack(header: dict[str, str], body: bytes, garbage: bool, early: bool) -> None:
            data = wire.PREAMBLE + wire.frame(FrameType.HEADER, wire.encode_fields(header))
            data += body if garbage else wire.frame(FrameType.DATA, body) if body else b""
            data += wire.frame(FrameType.END)
            frames = raw_exchange(port, data, close_early=early)
            if frames:
                assert frames[-1][0] in (FrameType.REFUSAL, FrameType.RECEIPT)

        attack()
        receipt = asyncio.run(send_document("127.0.0.1", port, source, **WHO))
    assert receipt.sha256 == hashlib.sha256(pdf).hexdigest()
    assert leftovers(settings) == []


settings_for_fuzz = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
