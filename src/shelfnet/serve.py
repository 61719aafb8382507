"""``shelfnet serve``: every enabled service, from one settings file, in one process.

On embedded defaults (no shelfnet.toml) that is the local catalogue in ``data/`` (loaded with
the sample catalogue when empty) served over Z39.50 and SRU on loopback, and the federated
search web page (which searches that catalogue's Z39.50 server unless a targets file is set).
The catalogue is opened only when a service that serves it (Z39.50, SRU) is enabled.

With ``[directory] sync_url`` set, the directory is brought up to date (AutoSync) in the
background once the services listen, when the last sync is older than ``sync_every_days``.
It never delays or stops start-up: a sync that fails is said in one line and the directory
stays as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shelfnet.catalog.backend import CatalogBackend
from shelfnet.config import Settings
from shelfnet.sru.server import SruLimits, SruServer
from shelfnet.z3950.server import ServerLimits, Z3950Server

if TYPE_CHECKING:
    from shelfnet.ill.delivery.documents import Documents
    from shelfnet.ill.delivery.server import DeliveryServer
    from shelfnet.ill.delivery.settings import DeliverySettings
    from shelfnet.ill.messaging.ports import Adapter
    from shelfnet.ill.messaging.service import MessagingService
    from shelfnet.ill.protocols.isoill.server import IsoIllServer
    from shelfnet.web.ill_access import IllWeb
    from shelfnet.web.server import WebServer

log = logging.getLogger(__name__)

GC_THRESHOLD = 50_000
"""Allocations between two young-generation collections (Python's default: 700)."""


@dataclass
class Running:
    """The services started, and where each listens."""

    backend: CatalogBackend | None = None
    z3950: Z3950Server | None = None
    sru: SruServer | None = None
    web: WebServer | None = None
    announcements: list[str] = field(default_factory=list)
    directory_sync: asyncio.Task[None] | None = None
    """The AutoSync started with the services, when one is configured."""
    notices: asyncio.Task[None] | None = None
    """The ILL e-mail notices: queued from the status history, sent through SMTP."""
    ill: IllWeb | None = None
    """The ILL database and sign-ons the web pages and the ISO ILL listener share."""
    isoill: IsoIllServer | None = None
    messaging: MessagingService | None = None
    """Messages to partners (the durable outbox) and from them (the ISO ILL inbox)."""
    messaging_round: asyncio.Task[None] | None = None
    delivery: DeliveryServer | None = None
    purge: asyncio.Task[None] | None = None
    sending: asyncio.Task[None] | None = None
    """Queued outgoing documents offered to partners, every minute."""

    async def close(self) -> None:
        if self.directory_sync is not None:
            self.directory_sync.cancel()  # the thread finishes its transaction on its own
        if self.delivery is not None:
            await self.delivery.close()
        for task in (self.notices, self.messaging_round, self.purge, self.sending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.isoill is not None:
            await self.isoill.close()
        if self.web is not None:
            await self.web.close()
        if self.z3950 is not None:
            await self.z3950.close()
        if self.sru is not None:
            await self.sru.close()
        if self.backend is not None:
            self.backend.close()


def open_catalog(settings: Settings, say: Callable[[str], None] = print) -> CatalogBackend:
    """The catalogue backend; an empty catalogue gets the sample records when so configured."""
    from shelfnet.catalog.importer import import_data
    from shelfnet.catalog.sample import sample_iso2709

    path = settings.catalog_path
    path.parent.mkdir(parents=True, exist_ok=True)
    users = settings.z3950.users or None
    backend = CatalogBackend(
        settings.catalog_location, databases=(settings.catalog.database,), users=users
    )
    if settings.catalog.sample and backend.store.count() == 0:
        result = import_data(
            sample_iso2709(),
            backend.store,
            name="sample catalogue",
            match_point=settings.catalog.match_point,
        )
        say(f"catalogue {path} was empty: loaded {result.added} sample records")
    return backend


async def start(settings: Settings, say: Callable[[str], None] = print) -> Running:
    """Start every enabled service; say where each listens."""
    running = Running()
    if settings.z3950.enabled or settings.sru.enabled:
        running.backend = open_catalog(settings, say)
    try:
        if running.backend is not None:
            await _start_catalog_services(settings, running, running.backend)
        ill = await _open_ill(settings, running, say)
        if settings.web.enabled:
            await _start_web(settings, running, ill)
        if ill is not None and settings.isoill.enabled:
            await _start_isoill(settings, running, ill)
        if ill is not None and settings.delivery.enabled:
            await _start_delivery(settings, running, ill)
    except BaseException:
        await running.close()
        raise
    for line in running.announcements:
        say(f"listening: {line}")
    if settings.directory.sync_url:
        running.directory_sync = asyncio.create_task(
            asyncio.to_thread(sync_directory, settings, say), name="directory sync"
        )
    return running


def sync_directory(settings: Settings, say: Callable[[str], None] = print) -> None:
    """AutoSync when due, saying what it did in one line; never raises."""
    try:
        said = _sync_directory(settings)
    except Exception as exc:  # start-up goes on whatever happens here
        log.warning("directory sync failed", exc_info=True)
        said = f"{type(exc).__name__}: {exc}; keeping the directory as it is"
    if said:
        say(f"directory sync: {said}")


def _sync_directory(settings: Settings) -> str | None:
    from datetime import timedelta

    from shelfnet.directory.store import open_store
    from shelfnet.directory.syncclient import SyncError, SyncSource, sync_if_due
    from shelfnet.directory.syncformat import parse_public_key

    directory = settings.directory
    if not (directory.sync_url and directory.sync_key and directory.public_key):
        return "sync_url, sync_key and public_key are all needed; not syncing"
    source = SyncSource(
        directory.sync_url, directory.sync_key, parse_public_key(directory.public_key)
    )
    with open_store(settings.directory_location) as store:
        done = sync_if_due(store, source, every=timedelta(days=directory.sync_every_days))
    if done is None:
        return None  # synced recently: nothing to say
    if isinstance(done, SyncError):
        log.warning("directory sync failed: %s", done)
        return f"{done}; keeping the directory as it is"
    if done.kind == "not-modified":
        return f"unchanged at version {done.version_after}"
    return (
        f"{done.kind} to version {done.version_after}: {done.added} added, "
        f"{done.updated} updated, {done.removed} removed, "
        f"{len(done.kept_local)} kept because edited locally"
    )


async def _start_catalog_services(
    settings: Settings, running: Running, backend: CatalogBackend
) -> None:
    database = settings.catalog.database
    if settings.z3950.enabled:
        z = settings.z3950
        limits = ServerLimits(
            z.max_connections, z.max_message_size, z.idle_timeout, z.max_result_sets
        )
        running.z3950 = Z3950Server(backend, limits)
        await running.z3950.start(z.host, z.port)
        for host, port in running.z3950.addresses:
            running.announcements.append(f"Z39.50  {host}:{port}/{database}")
    if settings.sru.enabled:
        s = settings.sru
        running.sru = SruServer(backend, SruLimits(s.default_records, s.max_records))
        await running.sru.start(s.host, s.port)
        for host, port in running.sru.addresses:
            running.announcements.append(f"SRU     http://{host}:{port}/{database}")


async def _open_ill(
    settings: Settings, running: Running, say: Callable[[str], None]
) -> IllWeb | None:
    """The ILL database (with the sample on first start), when a service uses it; its
    e-mail notices start with it."""
    uses = settings.web.enabled or settings.isoill.enabled or settings.delivery.enabled
    if not settings.ill.enabled or not uses:
        return None
    from shelfnet.ill.notices.service import NoticeService
    from shelfnet.web.ill_access import fill_sample_accounts, ill_from_settings

    ill = await asyncio.to_thread(ill_from_settings, settings)
    running.ill = ill
    if settings.ill.sample:
        accounts = await asyncio.to_thread(fill_sample_accounts, ill.store, settings.data.dir)
        if accounts is not None:
            say(f"ILL database was empty: loaded sample requests; their accounts: {accounts}")
    service = NoticeService.from_settings(ill.store, settings.ill)
    running.notices = asyncio.create_task(service.run_forever(), name="ILL notices")
    running.messaging = messaging_service(settings, ill)
    running.messaging_round = asyncio.create_task(
        running.messaging.run_forever(), name="ILL messaging"
    )
    return ill


def messaging_service(settings: Settings, ill: IllWeb) -> MessagingService:
    """The outbox and inbox for partner messages, with an adapter per partner protocol."""
    from dataclasses import replace

    from shelfnet.ill.messaging.isoill import IsoIllAdapter
    from shelfnet.ill.messaging.service import MessagingService

    messaging = replace(settings.ill.messaging, symbol=settings.ill.symbol)
    adapters: dict[str, Adapter] = {"isoill": IsoIllAdapter(ill.store, messaging)}
    if settings.iso18626.enabled:
        from shelfnet.ill.messaging.iso18626 import Iso18626Adapter

        adapters["iso18626"] = Iso18626Adapter(ill.store, messaging, settings)
    return MessagingService(ill.store, messaging, adapters=adapters)


async def _start_isoill(settings: Settings, running: Running, ill: IllWeb) -> None:
    from shelfnet.ill.protocols.isoill.apdus import SystemId
    from shelfnet.ill.protocols.isoill.lending import store_requests
    from shelfnet.ill.protocols.isoill.server import ServerLimits, start_server

    iso = settings.isoill
    limits = ServerLimits(iso.max_connections, iso.max_message_size, iso.idle_timeout)
    running.isoill = await start_server(
        store_requests(ill.store),
        iso.host,
        iso.port,
        our_id=SystemId(settings.ill.symbol),
        limits=limits,
        inbox=running.messaging.inbox if running.messaging is not None else None,
    )
    for host, port in running.isoill.addresses:
        running.announcements.append(f"ISO ILL {host}:{port}")


async def _start_delivery(settings: Settings, running: Running, ill: IllWeb) -> None:
    """The document-delivery listener; accepted documents go to their requests (or to the
    staff queues), and expired downloads are purged once a day."""
    from shelfnet.ill.delivery.documents import Documents
    from shelfnet.ill.delivery.routing import on_document
    from shelfnet.ill.delivery.sender import send_forever
    from shelfnet.ill.delivery.server import start_server
    from shelfnet.web.delivery_routes import delivery_settings

    config = settings.delivery
    wire = wire_settings(settings)
    documents = Documents(ill.store.write_engine)
    running.delivery = await start_server(
        wire, on_document(ill.store, documents, delivery_settings(settings).settings)
    )
    for host, port in running.delivery.addresses:
        scheme = "TLS" if config.tls_cert else "TCP"
        running.announcements.append(f"delivery {host}:{port} ({scheme}; PDF and TIFF only)")
    running.purge = asyncio.create_task(_purge_daily(documents), name="delivery purge")
    running.sending = asyncio.create_task(
        send_forever(ill.store, documents, symbol=settings.ill.symbol), name="delivery sending"
    )


def wire_settings(settings: Settings) -> DeliverySettings:
    from shelfnet.ill.delivery.settings import DeliverySettings

    d = settings.delivery
    return DeliverySettings(
        enabled=True,
        host=d.host,
        port=d.port,
        tls_cert=d.tls_cert,
        tls_key=d.tls_key,
        max_size=d.max_size,
        idle_timeout=d.idle_timeout,
        spool_dir=settings.delivery_folder / "spool",
        max_connections=d.max_connections,
    )


async def _purge_daily(documents: Documents) -> None:
    from shelfnet.ill.delivery.links import purge

    while True:
        try:
            purged = await asyncio.to_thread(purge, documents)
            if purged:
                log.info("delivery: purged %d expired documents", len(purged))
        except Exception:  # the next day's run tries again
            log.warning("delivery purge failed", exc_info=True)
        await asyncio.sleep(24 * 3600)


async def _start_web(settings: Settings, running: Running, ill: IllWeb | None) -> None:
    from shelfnet.web.app import app_from_settings, local_address
    from shelfnet.web.server import WebServer

    serving = running.z3950 or running.sru
    local = None
    if serving is not None and serving.addresses:
        host, port = serving.addresses[0]
        local = local_address(settings, host, port)
    running.web = WebServer(app_from_settings(settings, local, ill))
    await running.web.start(settings.web.host, settings.web.port)
    for host, port in running.web.addresses:
        shown = f"[{host}]" if ":" in host else host
        running.announcements.append(f"web     http://{shown}:{port}/")
        if ill is not None:
            running.announcements.append(f"ILL     http://{shown}:{port}/ill/ (patrons)")
            running.announcements.append(f"ILL     http://{shown}:{port}/staff/ (staff)")
            running.announcements.append(f"API     http://{shown}:{port}/api/docs")
            if settings.iso18626.enabled:
                path = settings.iso18626.path
                running.announcements.append(f"ISO 18626 http://{shown}:{port}{path}")


async def serve(settings: Settings, say: Callable[[str], None] = print) -> None:
    """Run until SIGINT or SIGTERM, then stop every service cleanly."""
    running = await start(settings, say)
    settle_memory()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        say("stopping")
        await running.close()


def settle_memory() -> None:
    """Tune the garbage collector for a long-running server, once everything is loaded.

    What exists now (modules, the compiled ASN.1 specification, caches) lives as long as the
    process: freezing it keeps every later collection from walking it again. Requests make
    many short-lived tuples and dicts, freed by reference counting alone; a higher first
    threshold lets the cycle collector run a few times a second instead of hundreds.
    """
    gc.collect()
    gc.freeze()
    _threshold, second, third = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, second, third)
