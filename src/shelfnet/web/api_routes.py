"""The ILL REST API: JSON over HTTP for scripts and discovery layers, mounted at ``/api``.

Everything the patron and staff pages do, under ``/v1``. Patrons sign in with the pages'
cookie; staff with theirs or with an API key (``Authorization: Bearer shl_...``). A change
made with a cookie must send the sign-on's CSRF token in ``X-CSRF-Token``; a change made with
an API key needs none (browsers never send a key by themselves). Read-only staff may only
read; partners, routing rules and direct status moves are for administrators.

The app is its own FastAPI application, with its own OpenAPI document (``/api/openapi.json``,
``/api/docs``) and its own error answers: always JSON (`ErrorOut`), never a sign-in page or a
redirect. The store is synchronous, so handlers are plain functions (run in FastAPI's thread
pool); the sign-in dependencies come from ``ill_access``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyCookie, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from shelfnet.ill.model import (
    Citation,
    ClearedState,
    DocumentType,
    Note,
    Partner,
    ProcessType,
    RequestType,
    SystemId,
    Transaction,
    TransactionDraft,
)
from shelfnet.ill.openurl import parse_openurl
from shelfnet.ill.signon import SignOnKind
from shelfnet.ill.store import Duplicate, IllStore, PatronList, UnknownRecord, VersionConflict
from shelfnet.ill.workflow import Action, Locked, Status, TransitionRefused, allowed
from shelfnet.web import api_models as m
from shelfnet.web import csrf
from shelfnet.web.ill_access import (
    BLOCKED,
    PATRON_COOKIE,
    STAFF_COOKIE,
    IllWeb,
    SignedInPatron,
    SignedInStaff,
    SignInRequired,
    admin_changing,
    patron_changing,
    patron_reading,
    staff_changing,
    staff_reading,
)

log = logging.getLogger(__name__)

DESCRIPTION = """\
The interlibrary-loan server of shelfnet, for scripts and discovery layers.

**Patrons** sign in on the ILL pages (`/ill/signin`); the API then answers to their cookie.
**Staff** sign in on the staff pages, or send an API key (`shelfnet ill apikey create USER`)
as `Authorization: Bearer shl_...`. With a cookie, every change (POST, PUT, PATCH, DELETE)
must send the sign-on's CSRF token in the `X-CSRF-Token` header; with an API key it needs
none. Read-only staff may only read; partners, routing rules and direct status moves are for
administrators.

Changes to a transaction send back the `version` they were prepared against
(`expected_version`): a transaction changed meanwhile answers 409 `version_conflict`. A
transaction another user has open answers 423 `locked` unless the change is forced. Every
error is JSON: `{"error": "...", "detail": "..."}`.
"""

# The schemes, for the OpenAPI document only: the dependencies below do the checking.
_patron_cookie = APIKeyCookie(
    name=PATRON_COOKIE,
    scheme_name="patronCookie",
    auto_error=False,
    description="A patron's sign-on (/ill/signin).",
)
_staff_cookie = APIKeyCookie(
    name=STAFF_COOKIE,
    scheme_name="staffCookie",
    auto_error=False,
    description="A staff sign-on (/staff/signin).",
)
_api_key = HTTPBearer(
    scheme_name="apiKey",
    auto_error=False,
    bearerFormat="shl_...",
    description="A staff API key (shelfnet ill apikey).",
)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "Not signed in, or the API key is not valid.",
        403: "Not allowed: wrong kind of user, read-only staff, or no X-CSRF-Token.",
        404: "No such record (or not yours).",
        409: "Refused by the workflow, or changed since it was read.",
        422: "The request's values are not valid.",
        423: "Another user has the transaction open.",
    }
    return {code: {"model": m.ErrorOut, "description": descriptions[code]} for code in codes}


patron_router = APIRouter(
    prefix="/v1",
    tags=["patron"],
    dependencies=[Security(_patron_cookie)],
    responses=_errors(401, 403, 404, 422),
)
staff_router = APIRouter(
    prefix="/v1",
    tags=["staff"],
    dependencies=[Security(_staff_cookie), Security(_api_key)],
    responses=_errors(401, 403, 404, 422),
)
_CHANGE = _errors(409, 423)

PatronReading = Annotated[SignedInPatron, Depends(patron_reading)]
PatronChanging = Annotated[SignedInPatron, Depends(patron_changing)]
StaffReading = Annotated[SignedInStaff, Depends(staff_reading)]
StaffChanging = Annotated[SignedInStaff, Depends(staff_changing)]
AdminChanging = Annotated[SignedInStaff, Depends(admin_changing)]
TransactionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The transaction number.")]
Force = Annotated[bool, Query(description="Take over another user's lock.")]
Since = Annotated[date | None, Query(description="Requests made on or after this day.")]
Until = Annotated[date | None, Query(description="Requests made before this day.")]


def _store(request: Request) -> IllStore:
    ill: IllWeb = request.app.state.ill
    return ill.store


Store = Annotated[IllStore, Depends(_store)]


def api_app(ill: IllWeb) -> FastAPI:
    """The API as a FastAPI app of its own, for ``app.mount("/api", ...)``."""
    app = FastAPI(
        title="shelfnet ILL API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ill = ill
    app.include_router(patron_router)
    app.include_router(staff_router)
    add_error_handlers(app)
    app.middleware("http")(_no_caching)
    return app


async def _no_caching(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    # Answers carry people's requests: no cache keeps them, no browser reads them as HTML.
    response = await call_next(request)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Errors: always JSON


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    423: "locked",
    429: "too_many_requests",
}


def error_response(
    status: int,
    error: str,
    detail: str,
    *,
    fields: Iterable[m.FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = m.ErrorOut(error=error, detail=detail, fields=list(fields))
    content = body.model_dump(mode="json")
    return JSONResponse(content, status_code=status, headers=dict(headers or {}))


def add_error_handlers(app: FastAPI) -> None:
    handlers: dict[type[Exception], Callable[[Request, Any], Awaitable[Response]]] = {
        SignInRequired: _sign_in_required,
        StarletteHTTPException: _http_error,
        RequestValidationError: _invalid_request,
        TransitionRefused: _store_error(409, "transition_refused"),
        VersionConflict: _store_error(409, "version_conflict"),
        Duplicate: _store_error(409, "duplicate"),
        Locked: _store_error(423, "locked"),
        UnknownRecord: _store_error(404, "not_found"),
        Exception: _server_error,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)


async def _sign_in_required(request: Request, exc: SignInRequired) -> Response:
    if exc.kind is SignOnKind.STAFF:
        detail = "Sign in on the staff pages, or send a staff API key as a Bearer token."
        headers = {"WWW-Authenticate": 'Bearer realm="shelfnet ILL API"'}
    else:
        detail = "Sign in as a patron on the ILL pages (/ill/signin) first."
        headers = None
    return error_response(401, "sign_in_required", detail, headers=headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    error = _CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, error, str(exc.detail), headers=exc.headers)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    fields = [
        m.FieldError(
            location=".".join(str(part) for part in error.get("loc", ())),
            message=str(error.get("msg", "")),
            type=str(error.get("type", "")),
        )
        for error in exc.errors()
    ]
    count = len(fields)
    detail = f"The request has {count} value{'s' if count != 1 else ''} that cannot be used."
    return error_response(422, "invalid_request", detail, fields=fields)


def _store_error(status: int, error: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        return error_response(status, error, _sentence(str(exc)))

    return handler


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("ILL API: %s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "server_error", "Something went wrong on the server.")


# Patrons


@patron_router.get("/me", summary="The signed-in patron")
def me(who: PatronReading, response: Response) -> m.PatronOut:
    """The sign-on's CSRF token comes in the ``X-CSRF-Token`` header, for the changes."""
    response.headers[csrf.HEADER] = who.signon.csrf
    return m.patron_out(who.patron)


@patron_router.get("/me/requests", summary="The patron's requests, newest first")
def my_requests(
    who: PatronReading,
    store: Store,
    kind: Annotated[PatronList, Query(alias="list", description="Which list.")] = (
        PatronList.OUTSTANDING
    ),
) -> m.PatronRequestList:
    found = store.transactions_for_patron(who.patron.id, kind)
    return m.PatronRequestList(kind=kind, requests=[m.patron_request_out(t) for t in found])


@patron_router.post(
    "/me/requests", status_code=201, summary="Ask for an item", responses=_errors(409)
)
def new_request(body: m.PatronRequestIn, who: PatronChanging, store: Store) -> m.PatronRequestOut:
    """A borrowing request from the citation, the OpenURL, or both (the citation's fields
    win over the link's)."""
    if who.patron.cleared in (ClearedState.BLOCKED, ClearedState.DISAVOWED):
        raise HTTPException(403, BLOCKED)
    draft = _patron_draft(body, who.patron.id)
    c = draft.citation
    if not (c.title or c.journal_title or c.article_title):
        raise HTTPException(422, "A request needs a title, a journal title or an article title.")
    return m.patron_request_out(store.create_transaction(draft, by=who.patron.username))


def _patron_draft(body: m.PatronRequestIn, patron_id: int) -> TransactionDraft:
    request_type, document_type = RequestType.LOAN, DocumentType.BOOK
    citation = Citation()
    if body.openurl:
        link = parse_openurl(body.openurl)
        request_type = RequestType(link.request_type)
        document_type = DocumentType(link.document_type)
        from_link: dict[str, Any] = dict(link.fields)
        citation = replace(citation, **from_link)
    return TransactionDraft(
        ProcessType.BORROWING,
        body.request_type or request_type,
        body.document_type or document_type,
        body.citation.changed(citation),
        patron_id=patron_id,
        system_id=SystemId.OPENURL if body.openurl else SystemId.API,
    )


@patron_router.get("/me/requests/{transaction_id}", summary="One of the patron's requests")
def my_request(
    transaction_id: TransactionId, who: PatronReading, store: Store
) -> m.PatronRequestOut:
    return m.patron_request_out(_own(store, who, transaction_id))


@patron_router.post(
    "/me/requests/{transaction_id}/cancel",
    summary="Cancel a request not yet sent",
    responses=_CHANGE,
)
def cancel_my_request(
    transaction_id: TransactionId, who: PatronChanging, store: Store
) -> m.PatronRequestOut:
    return _patron_action(store, who, transaction_id, Action.CANCEL_BY_CUSTOMER)


@patron_router.post(
    "/me/requests/{transaction_id}/renew",
    summary="Ask for a loan to be renewed",
    responses=_CHANGE,
)
def renew_my_request(
    transaction_id: TransactionId, who: PatronChanging, store: Store
) -> m.PatronRequestOut:
    return _patron_action(store, who, transaction_id, Action.REQUEST_RENEWAL)


def _own(store: IllStore, who: SignedInPatron, transaction_id: int) -> Transaction:
    """The patron's transaction; another patron's is as unknown as a missing one."""
    try:
        transaction = store.get_transaction(transaction_id)
    except UnknownRecord:
        transaction = None
    if transaction is None or transaction.patron_id != who.patron.id:
        raise HTTPException(404, f"You have no request {transaction_id}.")
    return transaction


def _patron_action(
    store: IllStore, who: SignedInPatron, transaction_id: int, action: Action
) -> m.PatronRequestOut:
    transaction = _own(store, who, transaction_id)
    if transaction.process_type is not ProcessType.BORROWING and action is Action.REQUEST_RENEWAL:
        raise HTTPException(409, "Only loans from other libraries can be renewed.")
    changed = store.apply_action(
        transaction.id, action, who.patron.username, expected_version=transaction.version
    )
    return m.patron_request_out(changed)


# Staff: who, queues, search


@staff_router.get("/staff/me", summary="The staff user signed in (or owning the API key)")
def staff_me(who: StaffReading, response: Response) -> m.StaffOut:
    """With a cookie sign-on, its CSRF token comes in the ``X-CSRF-Token`` header."""
    if who.signon is not None:
        response.headers[csrf.HEADER] = who.signon.csrf
    return m.staff_out(who.user)


@staff_router.get("/queues", summary="How many requests wait in each queue")
def queues(who: StaffReading, store: Store) -> m.QueueCounts:
    counts = sorted(
        store.queue_counts().items(), key=lambda item: (item[0][0].value, item[0][1].value)
    )
    return m.QueueCounts(
        queues=[
            m.QueueCountOut(
                process_type=process, status=status, status_display=status.display, count=count
            )
            for (process, status), count in counts
        ]
    )


@staff_router.get("/queues/{process_type}/{status}", summary="One queue, oldest first")
def queue(
    process_type: ProcessType,
    status: Status,
    who: StaffReading,
    store: Store,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=m.MAX_LIMIT)] = 50,
) -> m.QueuePage:
    if status not in allowed(process_type):
        raise HTTPException(404, f'{process_type.value} has no queue "{status.display}".')
    items = store.queue(status, process_type, offset=offset, limit=limit)
    total = store.queue_count(status, process_type)
    return m.QueuePage(
        process_type=process_type,
        status=status,
        total=total,
        offset=offset,
        limit=limit,
        items=[m.queue_item_out(item) for item in items],
    )


@staff_router.get("/search", summary="Find transactions by number or title words")
def search(
    who: StaffReading,
    store: Store,
    q: Annotated[str, Query(max_length=255, description="A number, or words of a title.")] = "",
    status: Status | None = None,
    process_type: ProcessType | None = None,
    patron: Annotated[str | None, Query(max_length=255, description="A username.")] = None,
    limit: Annotated[int, Query(ge=1, le=m.MAX_LIMIT)] = 100,
) -> m.SearchResult:
    found = store.search(q, status=status, process_type=process_type, patron=patron, limit=limit)
    return m.SearchResult(items=[m.queue_item_out(item) for item in found])


# Staff: transactions


@staff_router.get("/transactions/{transaction_id}", summary="A transaction, in full")
def transaction(transaction_id: TransactionId, who: StaffReading, store: Store) -> m.TransactionOut:
    return _full(store, store.get_transaction(transaction_id))


@staff_router.post("/transactions", status_code=201, summary="Make a transaction (any process)")
def new_transaction(body: m.TransactionIn, who: StaffChanging, store: Store) -> m.TransactionOut:
    """A borrowing, lending or document delivery request; routing rules and the rule of
    five apply as to any new request."""
    patron_id = None
    if body.patron is not None:
        patron = store.find_patron(body.patron)
        if patron is None:
            raise HTTPException(422, f"There is no patron {body.patron}.")
        patron_id = patron.id
    draft = TransactionDraft(
        body.process_type,
        body.request_type,
        body.document_type,
        body.citation.to_citation(),
        patron_id=patron_id,
        lender_string=tuple(body.lender_string),
        partner=body.partner,
        external_id=body.external_id,
        due_date=body.due_date,
        cost=body.cost,
        fee=body.fee,
        system_id=body.system_id,
    )
    made = store.create_transaction(draft, by=who.user.username)
    if body.note:
        store.add_note(made.id, who.user.username, body.note)
        made = store.get_transaction(made.id)
    return _full(store, made)


@staff_router.patch(
    "/transactions/{transaction_id}", summary="Change a citation and details", responses=_CHANGE
)
def change_transaction(
    transaction_id: TransactionId, body: m.TransactionPatch, who: StaffChanging, store: Store
) -> m.TransactionOut:
    current = store.get_transaction(transaction_id)
    changes: dict[str, Any] = {"version": body.expected_version}
    for name in body.model_fields_set - {"expected_version", "force", "citation"}:
        value = getattr(body, name)
        if value is None and name in ("request_type", "document_type"):
            continue
        changes[name] = tuple(value) if name == "lender_string" else value
    if body.citation is not None:
        changes["citation"] = body.citation.changed(current.citation)
    changed = store.update_transaction(
        replace(current, **changes), who.user.username, force=body.force
    )
    return _full(store, changed)


@staff_router.post(
    "/transactions/{transaction_id}/actions", summary="Press a staff action", responses=_CHANGE
)
def act(
    transaction_id: TransactionId, body: m.ActionIn, who: StaffChanging, store: Store
) -> m.TransactionOut:
    changed = store.apply_action(
        transaction_id,
        body.action,
        who.user.username,
        note=body.note or None,
        expected_version=body.expected_version,
        force=body.force,
    )
    return _full(store, changed)


@staff_router.post(
    "/transactions/{transaction_id}/status",
    summary="Move a transaction directly (administrators)",
    responses=_CHANGE,
)
def move(
    transaction_id: TransactionId, body: m.StatusIn, who: AdminChanging, store: Store
) -> m.TransactionOut:
    """Only along the workflow's transitions; routing rules apply afterwards."""
    changed = store.change_status(
        transaction_id,
        body.status,
        who.user.username,
        note=body.note or None,
        to_process=body.process_type,
        expected_version=body.expected_version,
        force=body.force,
    )
    return _full(store, changed)


@staff_router.post("/transactions/{transaction_id}/notes", status_code=201, summary="Add a note")
def add_note(
    transaction_id: TransactionId, body: m.NoteIn, who: StaffChanging, store: Store
) -> m.NoteOut:
    note: Note = store.add_note(
        transaction_id, who.user.username, body.text, patron_visible=body.patron_visible
    )
    return m.note_out(note)


@staff_router.post(
    "/transactions/{transaction_id}/lock", summary="Open a transaction (soft lock)",
    responses=_errors(423),
)  # fmt: skip
def take_lock(
    transaction_id: TransactionId, who: StaffChanging, store: Store, force: Force = False
) -> m.LockOut:
    lock = store.take_lock(transaction_id, who.user.username, force=force)
    return m.LockOut(holder=lock.holder, taken=lock.taken)


@staff_router.delete(
    "/transactions/{transaction_id}/lock", status_code=204, summary="Release a soft lock",
    responses=_errors(423),
)  # fmt: skip
def release_lock(
    transaction_id: TransactionId, who: StaffChanging, store: Store, force: Force = False
) -> Response:
    store.release_lock(transaction_id, who.user.username, force=force)
    return Response(status_code=204)


def _full(store: IllStore, transaction: Transaction) -> m.TransactionOut:
    patron = None
    if transaction.patron_id is not None:
        patron = store.get_patron(transaction.patron_id).username
    return m.transaction_out(transaction, patron)


# Staff: partners and routing rules


@staff_router.get("/partners", summary="The partner libraries")
def partners(who: StaffReading, store: Store, active_only: bool = False) -> m.PartnerList:
    found = store.list_partners(active_only=active_only)
    return m.PartnerList(partners=[m.partner_out(partner) for partner in found])


@staff_router.post(
    "/partners", status_code=201, summary="Add a partner (administrators)", responses=_errors(409)
)
def new_partner(body: m.NewPartnerIn, who: AdminChanging, store: Store) -> m.PartnerOut:
    return m.partner_out(store.create_partner(_partner(body, Partner(body.symbol))))


@staff_router.put("/partners/{symbol}", summary="Change a partner (administrators)")
def change_partner(
    symbol: Annotated[str, Path(max_length=64)],
    body: m.PartnerIn,
    who: AdminChanging,
    store: Store,
) -> m.PartnerOut:
    current = store.get_partner(symbol)
    if current is None:
        raise HTTPException(404, f"There is no partner {symbol}.")
    return m.partner_out(store.update_partner(_partner(body, current)))


def _partner(body: m.PartnerIn, current: Partner) -> Partner:
    return replace(
        current,
        name=body.name,
        address=tuple(body.address),
        email=body.email,
        protocol=body.protocol,
        endpoint=body.endpoint,
        delivery_address=body.delivery_address,
        trusted=body.trusted,
        shared_secret=current.shared_secret if body.shared_secret is None else body.shared_secret,
        active=body.active,
    )


@staff_router.get("/routing-rules", summary="The routing rules, in the order they are tried")
def routing_rules(who: StaffReading, store: Store) -> m.RoutingRules:
    return m.RoutingRules(rules=[m.rule_model(rule) for rule in store.routing_rules()])


@staff_router.put(
    "/routing-rules", summary="Replace every routing rule (administrators)", responses=_errors(409)
)
def replace_routing_rules(body: m.RoutingRules, who: AdminChanging, store: Store) -> m.RoutingRules:
    store.replace_routing_rules(rule.to_rule() for rule in body.rules)
    return routing_rules(who, store)


# Staff: reports


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime(value.year, value.month, value.day, tzinfo=UTC)


@staff_router.get("/reports/requests-by-status", summary="Requests made, by current status")
def requests_by_status(
    who: StaffReading, store: Store, since: Since = None, until: Until = None
) -> m.RequestsByStatusReport:
    rows = store.requests_by_status(since=_day(since), until=_day(until))
    return m.RequestsByStatusReport(rows=[m.status_count_out(row) for row in rows])


@staff_router.get("/reports/turnaround", summary="Days from request to filling")
def turnaround(
    who: StaffReading, store: Store, since: Since = None, until: Until = None
) -> m.TurnaroundReport:
    rows = store.turnaround(since=_day(since), until=_day(until))
    return m.TurnaroundReport(rows=[m.turnaround_out(row) for row in rows])


@staff_router.get("/reports/fill-rate", summary="Of the requests closed, how many were filled")
def fill_rate(
    who: StaffReading, store: Store, since: Since = None, until: Until = None
) -> m.FillRateReport:
    rows = store.fill_rate(since=_day(since), until=_day(until))
    return m.FillRateReport(rows=[m.fill_rate_out(row) for row in rows])


@staff_router.get("/reports/lending-by-partner", summary="Lending, by requesting library")
def lending_by_partner(
    who: StaffReading, store: Store, since: Since = None, until: Until = None
) -> m.LendingByPartnerReport:
    rows = store.lending_by_partner(since=_day(since), until=_day(until))
    return m.LendingByPartnerReport(rows=[m.partner_lending_out(row) for row in rows])


@staff_router.get("/reports/copyright", summary="The rule of five, per journal and year")
def copyright_report(
    who: StaffReading,
    store: Store,
    year: Annotated[int | None, Query(ge=1900, le=9999, description="One year only.")] = None,
) -> m.CopyrightReport:
    rows = store.copyright_report(year)
    return m.CopyrightReport(rows=[m.copyright_row_out(row) for row in rows])
