"""Document delivery on the web: the patron's downloads, the staff queues for received
documents, sending documents, and password links for partners without the delivery wire.

    GET  /ill/requests/{id}/files/{document}   the patron's PDF (only theirs; counts a view;
                                               an ended download answers 410, files gone)
    GET  /staff/delivery/unmatched             "No ILL Number Match": assign to a request
    GET  /staff/delivery/review                from untrusted senders: release to the patron
    GET  /staff/delivery/documents/{id}/file   the received file, for staff to look at
    GET  /staff/delivery/send                  upload a document for a lending request:
                                               queued for the wire, or behind a password link
    GET  /staff/delivery/sent                  what was sent, and how
    GET  /delivery/{token}                     a partner's password link (Article-Exchange
                                               style); POST with the password downloads

Staff changes need the sign-on's CSRF token (``staff_changing``); the password form of a link
uses the double-submit cookie of forms shown before sign-in. ``configure`` gives the pages
their settings (the delivery folder, how long downloads last); without it, a ``delivery``
folder beside a file ILL store and the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from shelfnet.database import is_database_url
from shelfnet.ill.delivery.documents import (
    Direction,
    Document,
    Documents,
    DocumentState,
    LinkKind,
    UnknownDocument,
)
from shelfnet.ill.delivery.links import LinkSettings, Opened, open_exchange, open_patron
from shelfnet.ill.delivery.links import peek_exchange as _peek
from shelfnet.ill.delivery.routing import (
    NotDeliverable,
    RoutingSettings,
    assign,
    discard,
    outgoing,
    outgoing_link,
    release,
)
from shelfnet.ill.model import StaffRole, Transaction
from shelfnet.ill.store import IllStore, UnknownRecord
from shelfnet.web import csrf
from shelfnet.web.ill_access import (
    IllWeb,
    SignedInPatron,
    SignedInStaff,
    patron_reading,
    staff_changing,
    staff_reading,
)

if TYPE_CHECKING:
    from shelfnet.config import Settings

router = APIRouter()

PatronReading = Annotated[SignedInPatron, Depends(patron_reading)]
StaffReading = Annotated[SignedInStaff, Depends(staff_reading)]
StaffChanging = Annotated[SignedInStaff, Depends(staff_changing)]

_STATE = "delivery"
MAX_UPLOAD = 200 * 1024 * 1024
NOT_FOUND = "There is no such file among your requests."
GONE = (
    "This download has expired: it was available for a limited number of days and "
    "downloads, and the file has now been deleted. Please contact ILL staff if you still "
    "need it."
)
LINK_GONE = "This link has expired and its document has been deleted."
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
DONE = {
    "assigned": "The document was delivered to the request's patron.",
    "released": "The document was released to the patron.",
    "discarded": "The document was discarded and its file deleted.",
    "queued": "The document is queued for the delivery wire.",
}


@dataclass(frozen=True)
class DeliveryWeb:
    """What the pages need to know: where the files are, how long downloads last."""

    settings: RoutingSettings
    exchange: LinkSettings = field(default_factory=LinkSettings)
    """Defaults (days, views) offered for password links, and their password throttle."""


def configure(app: Any, delivery: DeliveryWeb) -> None:
    setattr(app.state, _STATE, delivery)


def delivery_settings(settings: Settings) -> DeliveryWeb:
    """The pages' and the routing's settings from ``[delivery]``."""
    config = settings.delivery
    links = LinkSettings(days=config.download_days, views=config.download_views)
    exchange = LinkSettings(days=config.exchange_days, views=config.exchange_views)
    library = config.library or settings.ill.notices.library_name
    return DeliveryWeb(RoutingSettings(settings.delivery_folder, links, library), exchange)


def _web(request: Request) -> DeliveryWeb:
    found: DeliveryWeb | None = getattr(request.app.state, _STATE, None)
    if found is not None:
        return found
    location = _ill(request).store.location
    if is_database_url(location):
        raise HTTPException(503, "Document delivery is not configured on this server.")
    return DeliveryWeb(RoutingSettings(Path(location).parent / "delivery"))


def _ill(request: Request) -> IllWeb:
    ill: IllWeb = request.app.state.ill
    return ill


def documents_for(ill: IllWeb) -> Documents:
    return Documents(ill.store.write_engine, clock=ill.clock)


def _page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response: Response = request.app.state.context.templates.TemplateResponse(
        request,
        f"delivery/{template}",
        {"messages": [], **context},
        status_code=status,
        headers=dict(headers or {}),
    )
    return response


def _staff_page(
    request: Request,
    who: SignedInStaff,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    return _page(
        request,
        template,
        {
            "who": who,
            "csrf_token": who.signon.csrf if who.signon else "",
            "may_change": who.may_change,
            "is_admin": who.user.role is StaffRole.ADMIN,
            "messages": [done] if done else [],
            "error": "",
            **context,
        },
        status=status,
    )


# The patron's downloads


@dataclass(frozen=True)
class FileLink:
    """A file on the patron's request page: ``url`` None once it has expired."""

    url: str | None
    name: str
    detail: str


def patron_files(ill: IllWeb, transaction: Transaction) -> list[FileLink]:
    """The delivered files of a request, for its page (``patron_routes``)."""
    documents = documents_for(ill)
    now = documents.now()
    files = []
    received = [
        document
        for document in documents.for_transaction(transaction.id)
        if document.direction is Direction.RECEIVED
        and document.state in (DocumentState.DELIVERED, DocumentState.PURGED)
    ]
    for number, document in enumerate(received, start=1):
        name = (
            f"Request {transaction.id}, part {number} (PDF)"
            if len(received) > 1
            else (f"Request {transaction.id} (PDF)")
        )
        links = documents.links(document.id, LinkKind.PATRON)
        usable = [link for link in links if not link.expired(now)]
        if document.state is DocumentState.DELIVERED and usable:
            link = usable[0]
            left = (
                "" if link.max_views is None else f", {link.max_views - link.views} downloads left"
            )
            detail = f"available until {link.expires:%Y-%m-%d %H:%M} UTC{left}"
            url = f"/ill/requests/{transaction.id}/files/{document.id}"
            files.append(FileLink(url, name, detail))
        else:
            files.append(FileLink(None, name, "expired: please contact ILL staff"))
    return files


@router.get("/ill/requests/{transaction_id}/files/{document_id}", name="patron_file")
def patron_file(
    request: Request, transaction_id: int, document_id: int, who: PatronReading
) -> Response:
    ill = _ill(request)
    documents = documents_for(ill)
    try:
        transaction = ill.store.get_transaction(transaction_id)
        document = documents.get(document_id)
    except (UnknownRecord, UnknownDocument):
        raise HTTPException(404, NOT_FOUND) from None
    if (
        transaction.patron_id != who.patron.id
        or document.transaction_id != transaction_id
        or document.direction is not Direction.RECEIVED
        or document.state not in (DocumentState.DELIVERED, DocumentState.PURGED)
    ):
        raise HTTPException(404, NOT_FOUND)
    access = open_patron(documents, document)
    data = _read(document) if access.opened is Opened.OK else None
    if data is None:
        context = {
            "title": "Download expired",
            "detail": GONE,
            "back": f"/ill/requests/{transaction_id}",
        }
        return _page(request, "gone.html", context, status=410, headers=_NO_STORE)
    return _file(data, f"ill-request-{transaction_id}.pdf", "application/pdf")


def _read(document: Document) -> bytes | None:
    # Read now: a purge may delete the file while the answer is still being sent.
    path = document.pdf_path or document.original_path
    try:
        return path.read_bytes()
    except OSError:
        return None


def _file(data: bytes, name: str, media_type: str) -> Response:
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=media_type, headers=headers)


# Staff: the queues of received documents


@dataclass(frozen=True)
class QueuedDocument:
    document: Document
    request: Transaction | None


def _queue(ill: IllWeb, state: DocumentState) -> list[QueuedDocument]:
    found = []
    for document in documents_for(ill).in_state(state):
        request = None
        if document.transaction_id is not None:
            try:
                request = ill.store.get_transaction(document.transaction_id)
            except UnknownRecord:
                request = None
        found.append(QueuedDocument(document, request))
    return found


def _queue_page(
    request: Request,
    who: SignedInStaff,
    state: DocumentState,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    template = "unmatched.html" if state is DocumentState.UNMATCHED else "review.html"
    items = _queue(_ill(request), state)
    context = {"title": state.display, "items": items, "error": error}
    return _staff_page(request, who, template, context, status=status)


@router.get("/staff/delivery", name="staff_delivery")
def delivery_home(who: StaffReading) -> Response:
    return RedirectResponse("/staff/delivery/unmatched", status_code=303)


@router.get("/staff/delivery/unmatched", name="staff_delivery_unmatched")
def unmatched_page(request: Request, who: StaffReading) -> Response:
    return _queue_page(request, who, DocumentState.UNMATCHED)


@router.get("/staff/delivery/review", name="staff_delivery_review")
def review_page(request: Request, who: StaffReading) -> Response:
    return _queue_page(request, who, DocumentState.AWAITING_REVIEW)


@router.get("/staff/delivery/documents/{document_id}/file", name="staff_delivery_file")
def staff_file(request: Request, document_id: int, who: StaffReading) -> Response:
    try:
        document = documents_for(_ill(request)).get(document_id)
    except UnknownDocument:
        raise HTTPException(404, "There is no such document.") from None
    path = document.original_path
    try:
        data = path.read_bytes()
    except OSError:
        raise HTTPException(410, "The document's file has been deleted.") from None
    return _file(data, f"document-{document.id}{path.suffix}", document.media_type)


@router.post("/staff/delivery/unmatched/{document_id}/assign", name="staff_delivery_assign")
async def assign_document(request: Request, document_id: int, who: StaffChanging) -> Response:
    number = _number((await request.form()).get("transaction_id"))
    if number is None:
        return _queue_page(
            request,
            who,
            DocumentState.UNMATCHED,
            error="Give the request's transaction number.",
            status=400,
        )
    ill, web, by = _ill(request), _web(request), who.user.username

    def work(store: IllStore) -> str:
        try:
            assign(store, documents_for(ill), document_id, number, web.settings, by)
        except (NotDeliverable, UnknownDocument) as exc:
            return str(exc)
        return ""

    problem = await ill.run(work)
    if problem:
        return _queue_page(request, who, DocumentState.UNMATCHED, error=problem, status=409)
    return RedirectResponse("/staff/delivery/unmatched?done=assigned", status_code=303)


@router.post("/staff/delivery/review/{document_id}/release", name="staff_delivery_release")
async def release_document(request: Request, document_id: int, who: StaffChanging) -> Response:
    ill, web, by = _ill(request), _web(request), who.user.username

    def work(store: IllStore) -> str:
        try:
            routed = release(store, documents_for(ill), document_id, web.settings, by)
        except (NotDeliverable, UnknownDocument) as exc:
            return str(exc)
        return "" if routed.document.state is DocumentState.DELIVERED else routed.reason

    problem = await ill.run(work)
    if problem:
        return _queue_page(request, who, DocumentState.AWAITING_REVIEW, error=problem, status=409)
    return RedirectResponse("/staff/delivery/review?done=released", status_code=303)


@router.post("/staff/delivery/documents/{document_id}/discard", name="staff_delivery_discard")
async def discard_document(request: Request, document_id: int, who: StaffChanging) -> Response:
    ill, by = _ill(request), who.user.username

    def work(_store: IllStore) -> tuple[str, DocumentState | None]:
        documents = documents_for(ill)
        try:
            state = documents.get(document_id).state
            discard(documents, document_id, by)
        except (NotDeliverable, UnknownDocument) as exc:
            return str(exc), None
        return "", state

    problem, state = await ill.run(work)
    if problem:
        return _queue_page(request, who, DocumentState.UNMATCHED, error=problem, status=409)
    back = "review" if state is DocumentState.AWAITING_REVIEW else "unmatched"
    return RedirectResponse(f"/staff/delivery/{back}?done=discarded", status_code=303)


def _number(value: object) -> int | None:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
        return int(value.strip())
    return None


# Staff: sending


def _send_page(
    request: Request,
    who: SignedInStaff,
    *,
    error: str = "",
    status: int = 200,
    sent: Mapping[str, str] | None = None,
) -> Response:
    exchange = _web(request).exchange
    form = dict(sent or {})
    context = {
        "title": "Send a document",
        "error": error,
        "form": {
            "transaction_id": form.get("transaction_id", ""),
            "method": form.get("method", "wire"),
            "days": form.get("days", str(exchange.days)),
            "views": form.get("views", str(exchange.views)),
        },
    }
    return _staff_page(request, who, "send.html", context, status=status)


@router.get("/staff/delivery/send", name="staff_delivery_send")
def send_page(request: Request, who: StaffReading) -> Response:
    return _send_page(request, who)


@router.post("/staff/delivery/send", name="staff_delivery_send_post")
async def send_document(request: Request, who: StaffChanging) -> Response:
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    problem, upload = _check_send(form)
    if problem or upload is None:
        return _send_page(request, who, error=problem, status=400, sent=fields)
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _send_page(request, who, error="The file is too large.", status=413, sent=fields)
    ill, web, by = _ill(request), _web(request), who.user.username
    number = _number(fields.get("transaction_id")) or 0
    method = fields.get("method", "wire")
    password = fields.get("password", "")
    days = _number(fields.get("days")) or 0
    views = _number(fields.get("views")) or 0
    name = upload.filename or ""

    def work(store: IllStore) -> tuple[str, Document | None, str]:
        documents = documents_for(ill)
        try:
            if method == "link":
                document, token = outgoing_link(
                    store,
                    documents,
                    number,
                    data,
                    web.settings,
                    by,
                    symbol=ill.symbol,
                    password=password,
                    days=days,
                    views=views,
                    file_name=name,
                )
                return "", document, token
            document = outgoing(
                store, documents, number, data, web.settings, by, symbol=ill.symbol, file_name=name
            )
        except NotDeliverable as exc:
            return str(exc), None, ""
        return "", document, ""

    problem, document, token = await ill.run(work)
    if problem or document is None:
        return _send_page(request, who, error=problem, status=409, sent=fields)
    if not token:
        return RedirectResponse("/staff/delivery/sent?done=queued", status_code=303)
    url = f"{str(request.base_url).rstrip('/')}/delivery/{token}"
    context = {
        "title": "Password link made",
        "document": document,
        "url": url,
        "days": days,
        "views": views,
    }
    return _staff_page(request, who, "link_made.html", context)


def _check_send(form: FormData) -> tuple[str, UploadFile | None]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "Choose the PDF or TIFF file to send.", None
    if _number(form.get("transaction_id")) is None:
        return "Give the lending request's transaction number.", None
    if form.get("method") not in ("wire", "link"):
        return "Choose how to send the document.", None
    if form.get("method") == "link":
        password = form.get("password")
        if not isinstance(password, str) or len(password) < 8:
            return "A password link needs a password of at least 8 characters.", None
        days, views = _number(form.get("days")), _number(form.get("views"))
        if not days or not views or days > 90 or views > 100:
            return "A password link lasts 1 to 90 days and 1 to 100 downloads.", None
    return "", upload


@router.get("/staff/delivery/sent", name="staff_delivery_sent")
def sent_page(request: Request, who: StaffReading) -> Response:
    ill = _ill(request)
    documents = documents_for(ill)
    items = []
    for state in (DocumentState.QUEUED, DocumentState.SENT):
        items.extend(documents.in_state(state))
    items.sort(key=lambda document: document.received, reverse=True)
    context = {"title": "Sent documents", "items": items}
    return _staff_page(request, who, "sent.html", context)


# Password links for partners


def _link_page(request: Request, token: str, *, error: str = "", status: int = 200) -> Response:
    anonymous = csrf.anonymous_token(request)
    context = {
        "title": "Document delivery",
        "token": token,
        "csrf_token": anonymous,
        "error": error,
    }
    response = _page(request, "link.html", context, status=status, headers=_NO_STORE)
    csrf.remember(response, anonymous, secure=_ill(request).secure_cookies)
    return response


def _link_gone(request: Request, opened: Opened) -> Response:
    if opened is Opened.NOT_FOUND:
        raise HTTPException(404, "There is no document at this address.")
    context = {"title": "Link expired", "detail": LINK_GONE, "back": ""}
    return _page(request, "gone.html", context, status=410, headers=_NO_STORE)


@router.get("/delivery/{token}", name="delivery_link")
def link_page(request: Request, token: str) -> Response:
    access = _peek(documents_for(_ill(request)), token)
    if access.opened is not Opened.OK:
        return _link_gone(request, access.opened)
    return _link_page(request, token)


@router.post("/delivery/{token}", name="delivery_link_download")
async def link_download(request: Request, token: str) -> Response:
    await csrf.check_anonymous(request)
    password = (await request.form()).get("password")
    ill = _ill(request)
    settings = _web(request).exchange

    def work(_store: IllStore) -> tuple[Opened, bytes | None, Document | None]:
        access = open_exchange(documents_for(ill), token, str(password or ""), settings)
        if access.opened is not Opened.OK or access.document is None:
            return access.opened, None, access.document
        return access.opened, _read(access.document), access.document

    opened, data, document = await ill.run(work)
    if opened is Opened.WRONG_PASSWORD:
        return _link_page(request, token, error="That is not the password.", status=403)
    if opened is Opened.BLOCKED:
        return _link_page(
            request,
            token,
            status=429,
            error="Too many wrong passwords: try again in a few minutes.",
        )
    if opened is not Opened.OK or data is None or document is None:
        return _link_gone(request, opened if opened is not Opened.OK else Opened.EXPIRED)
    suffix = ".pdf" if document.media_type == "application/pdf" else ".tif"
    return _file(
        data, f"document-{document.transaction_number or document.id}{suffix}", document.media_type
    )
