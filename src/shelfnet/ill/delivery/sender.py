"""Sending queued documents to partners over the delivery protocol.

Staff (or the lending workflow) queue a scanned PDF or TIFF for a lending request
(``routing.outgoing``); each round sends every queued document to its partner's delivery
address (``ill_partners.delivery_address``: ``host:port``, or ``host`` for port 7968) with the
hash recorded when the file was stored, so the file is read once, while it is sent. A
document the partner received is ``sent``; one it refused (not PDF or TIFF, too large, not
ours) waits for staff review with the partner's reason; one that could not be delivered (the
partner is down) stays queued for the next round, so nothing is lost while a partner is away.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field

from shelfnet.ill.delivery.client import DeliveryError, Refused, send_document
from shelfnet.ill.delivery.documents import Document, Documents, DocumentState
from shelfnet.ill.delivery.ports import DELIVERY_PORT
from shelfnet.ill.store import IllStore

log = logging.getLogger(__name__)

BY = "delivery"
TRANSIENT = frozenset({"busy", "timeout", "server-error"})
"""Refusals that say "not now" rather than "not this": the document is offered again."""


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    """Not delivered this round (partner unreachable): tried again next round."""


def delivery_address(text: str) -> tuple[str, int] | None:
    """(host, port) from a partner's delivery address; None when it is not one (an e-mail
    address or a web link: those partners get password links instead)."""
    text = text.strip()
    if not text or "@" in text or "/" in text or " " in text:
        return None
    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    if not port:
        return text, DELIVERY_PORT
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        return None
    return host, int(port)


async def send_queued(
    store: IllStore,
    documents: Documents,
    *,
    symbol: str,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 60.0,
) -> SendReport:
    """One round: every queued outgoing document offered to its partner."""
    report = SendReport()
    for document in await asyncio.to_thread(documents.in_state, DocumentState.QUEUED):
        await _send(store, documents, document, symbol, ssl_context, timeout, report)
    return report


async def _send(
    store: IllStore,
    documents: Documents,
    document: Document,
    symbol: str,
    ssl_context: ssl.SSLContext | None,
    timeout: float,
    report: SendReport,
) -> None:
    partner = await asyncio.to_thread(store.get_partner, document.receiver)
    address = delivery_address(partner.delivery_address) if partner is not None else None
    if address is None:
        reason = f"{document.receiver} has no delivery address (host:port): send a password link."
        await asyncio.to_thread(
            documents.change, document.id, DocumentState.AWAITING_REVIEW, BY, reason=reason
        )
        report.refused.append(document.id)
        return
    host, port = address
    try:
        receipt = await send_document(
            host,
            port,
            document.original_path,
            sender=symbol,
            receiver=document.receiver,
            ill_number=document.ill_number,
            transaction=document.transaction_number,
            notes=document.notes,
            media_type=document.media_type,
            filename=document.file_name or None,
            sha256=document.sha256,
            ssl=ssl_context,
            timeout=timeout,
        )
    except Refused as refused:
        code = str(getattr(refused.code, "value", refused.code))
        if code in TRANSIENT:
            log.info("%s is busy (%s), trying again later", document.receiver, code)
            report.waiting.append(document.id)
            return
        reason = f"{document.receiver} refused it ({code}): {refused.reason}"
        await asyncio.to_thread(
            documents.change, document.id, DocumentState.AWAITING_REVIEW, BY, reason=reason
        )
        report.refused.append(document.id)
    except (DeliveryError, OSError, TimeoutError) as exc:
        log.info("delivery to %s:%s failed, trying again later: %s", host, port, exc)
        report.waiting.append(document.id)
    else:
        reason = f"Received by {document.receiver} as {receipt.document_id}."
        await asyncio.to_thread(
            documents.change, document.id, DocumentState.SENT, BY, reason=reason
        )
        report.sent.append(document.id)


async def send_forever(
    store: IllStore, documents: Documents, *, symbol: str, interval: float = 60.0
) -> None:
    """Rounds every ``interval`` seconds until cancelled; a failing round is logged."""
    while True:
        try:
            await send_queued(store, documents, symbol=symbol)
        except Exception:
            log.warning("a document-sending round failed", exc_info=True)
        await asyncio.sleep(interval)
