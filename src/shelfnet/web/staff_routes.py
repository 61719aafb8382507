"""The ILL staff pages (``/staff/``): queues, the request form staff process requests on,
holdings look-up, partners, routing rules, reports and search.

Every page needs a staff sign-in (``staff_reading``); every change is a POST through
``staff_changing`` (CSRF token checked, read-only staff refused) or ``admin_changing``
(partners and routing rules). Opening a request from a queue takes its soft lock; another
user's live lock is shown, with a button to take it over. A change made against an older
version of a request, a move the workflow refuses and a lock held by someone else come
back as a message on the request form, not as an error page.

Forms are checked field by field; a refused form comes back with what was typed and a
message beside each wrong field. After a change the browser is sent on (303), so reloading
never repeats it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from math import ceil
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from shelfnet.ill import reports
from shelfnet.ill.copyright import normalise_issn
from shelfnet.ill.holdings import NOT_SET_UP, HoldingsLookup, isbn_forms
from shelfnet.ill.messaging.outbox import MessageOutbox
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import (
    Partner,
    PartnerProtocol,
    ProcessType,
    QueueItem,
    StaffRole,
    Transaction,
)
from shelfnet.ill.routing import Condition, Field, Operator, RoutingRule
from shelfnet.ill.store import Duplicate, IllStore, UnknownRecord, VersionConflict
from shelfnet.ill.workflow import (
    TRANSITIONS,
    Action,
    Locked,
    Status,
    TransitionRefused,
    allowed,
    available_actions,
)
from shelfnet.web.ill_access import (
    IllWeb,
    SignedInStaff,
    admin_changing,
    safe_next,
    staff_changing,
    staff_reading,
)

router = APIRouter(prefix="/staff")

Reader = Annotated[SignedInStaff, Depends(staff_reading)]
Changer = Annotated[SignedInStaff, Depends(staff_changing)]
Admin = Annotated[SignedInStaff, Depends(admin_changing)]
Errors = dict[str, str]
_T = TypeVar("_T")

PAGE_SIZE = 50
PROCESS_NAMES = {
    ProcessType.BORROWING: "Borrowing",
    ProcessType.LENDING: "Lending",
    ProcessType.DOCUMENT_DELIVERY: "Document delivery",
}
DONE = {
    "saved": "The request was saved.",
    "note": "The note was added.",
    "taken": "You have taken over this request.",
    "partner": "The partner was saved.",
    "rule": "The routing rule was saved.",
    "deleted": "The routing rule was deleted.",
    "resend": "The message will be sent again at the next round.",
}
"""Messages a redirect after a change asks the next page to show (``?done=``)."""
MAX_TEXT = 2000
MAX_NOTE = 4000


# Shared helpers


def _ill(request: Request) -> IllWeb:
    ill: IllWeb = request.app.state.ill
    return ill


async def _run(request: Request, work: Callable[[IllStore], _T]) -> _T:
    """``work`` on the store off the event loop; an unknown record is a 404."""
    try:
        return await _ill(request).run(work)
    except UnknownRecord as exc:
        raise HTTPException(404, str(exc).capitalize() + ".") from exc


def _show(
    request: Request,
    who: SignedInStaff,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    messages: Sequence[str] = (),
) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    response: Response = request.app.state.context.templates.TemplateResponse(
        request,
        template,
        {
            "who": who,
            "csrf_token": who.signon.csrf if who.signon else "",
            "may_change": who.may_change,
            "is_admin": who.user.role is StaffRole.ADMIN,
            "messages": [*([done] if done else []), *messages],
            "process_names": PROCESS_NAMES,
            **context,
        },
        status_code=status,
    )
    return response


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _require_admin(who: SignedInStaff) -> None:
    if who.user.role is not StaffRole.ADMIN:
        raise HTTPException(403, "Only ILL administrators may change this.")


def _version(fields: Mapping[str, str]) -> int | None:
    text = fields.get("expected_version", "").strip()
    return int(text) if text.isdigit() else None


# Queues


def statuses_of(process: ProcessType) -> list[Status]:
    """The queues of a process, in workflow order."""
    return [status for status in Status if status in allowed(process)]


@router.get("/", name="staff_home")
async def queues(request: Request, who: Reader) -> Response:
    counts = await _run(request, lambda store: store.queue_counts())
    groups = [
        (process, [(status, counts.get((process, status), 0)) for status in statuses_of(process)])
        for process in ProcessType
    ]
    return _show(request, who, "staff/queues.html", {"title": "Queues", "groups": groups})


def _place(process: str, status: str) -> tuple[ProcessType, Status]:
    try:
        place = ProcessType(process), Status(status)
    except ValueError:
        raise HTTPException(404, "There is no such queue.") from None
    if place[1] not in allowed(place[0]):
        raise HTTPException(404, "There is no such queue.")
    return place


@router.get("/queue/{process}/{status}", name="staff_queue")
async def queue(
    request: Request,
    who: Reader,
    process: str,
    status: str,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    moved: int | None = None,
) -> Response:
    process_type, queue_status = _place(process, status)

    def read(store: IllStore) -> tuple[int, list[QueueItem], Transaction | None]:
        total = store.queue_count(queue_status, process_type)
        offset = (page - 1) * PAGE_SIZE
        items = store.queue(queue_status, process_type, offset=offset, limit=PAGE_SIZE)
        return total, items, _moved(store, moved)

    total, items, moved_transaction = await _run(request, read)
    messages = []
    if moved_transaction is not None:
        where = moved_transaction.status.display
        messages.append(f"Request {moved_transaction.id} is now in “{where}”.")
    context = {
        "title": f"{PROCESS_NAMES[process_type]}: {queue_status.display}",
        "process": process_type,
        "status": queue_status,
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, ceil(total / PAGE_SIZE)),
        "moved": moved_transaction,
    }
    return _show(request, who, "staff/queue.html", context, messages=messages)


def _moved(store: IllStore, number: int | None) -> Transaction | None:
    if number is None:
        return None
    try:
        return store.get_transaction(number)
    except UnknownRecord:
        return None


# The request form


CITATION_FIELDS = (
    ("title", "Title"),
    ("author", "Author"),
    ("journal_title", "Journal title"),
    ("article_title", "Article or chapter title"),
    ("article_author", "Article author"),
    ("volume", "Volume"),
    ("issue", "Issue"),
    ("month", "Month"),
    ("year", "Year"),
    ("pages", "Pages"),
    ("edition", "Edition"),
    ("publisher", "Publisher"),
    ("place", "Place"),
    ("isbn", "ISBN"),
    ("issn", "ISSN"),
    ("oclc_number", "OCLC number"),
    ("lccn", "LCCN"),
    ("doi", "DOI"),
    ("pmid", "PMID"),
    ("call_number", "Call number"),
    ("cited_in", "Cited in"),
)
EXTRA_FIELDS = (
    ("lender_string", "Lender string"),
    ("not_wanted_after", "Not wanted after"),
    ("max_cost", "Maximum cost"),
)
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$")
_OCLC = re.compile(r"^(?:\(OCoLC\)|ocm|ocn|on)?\s*(\d{1,15})$")


def _form_values(transaction: Transaction) -> dict[str, str]:
    citation = transaction.citation
    values = {name: getattr(citation, name) for name, _label in CITATION_FIELDS}
    values["lender_string"] = ", ".join(transaction.lender_string)
    values["not_wanted_after"] = str(citation.not_wanted_after or "")
    values["max_cost"] = "" if citation.max_cost is None else str(citation.max_cost)
    return values


@dataclass(frozen=True)
class CitationEdit:
    citation: dict[str, Any]
    lender_string: tuple[str, ...]


def check_citation(fields: Mapping[str, str], partners: set[str]) -> CitationEdit | Errors:
    """The edited citation and lender string, or a message for each wrong field."""
    errors: Errors = {}
    values = {name: fields.get(name, "").strip() for name, _label in CITATION_FIELDS}
    for name, label in CITATION_FIELDS:
        if len(values[name]) > MAX_TEXT:
            errors[name] = f"{label} may be {MAX_TEXT} characters at most."
    if not (values["title"] or values["journal_title"] or values["article_title"]):
        errors["title"] = "A request needs a title, a journal title or an article title."
    if values["isbn"] and not isbn_forms(values["isbn"]):
        errors["isbn"] = "An ISBN has 10 or 13 digits (the last of ten may be X)."
    if values["issn"]:
        values["issn"] = normalise_issn(values["issn"]) or values["issn"]
        if not normalise_issn(values["issn"]):
            errors["issn"] = "An ISSN has 8 characters, such as 0028-0836."
    if values["oclc_number"] and not _OCLC.match(values["oclc_number"]):
        errors["oclc_number"] = "An OCLC number is digits (an (OCoLC), ocm or ocn prefix is fine)."
    extra: dict[str, Any] = {}
    extra["not_wanted_after"] = _date(
        fields.get("not_wanted_after", ""), "not_wanted_after", errors
    )
    extra["max_cost"] = _money(fields.get("max_cost", ""), "max_cost", errors)
    lenders = _lenders(fields.get("lender_string", ""), partners, errors)
    if errors:
        return errors
    return CitationEdit({**values, **extra}, lenders)


def _date(text: str, name: str, errors: Errors) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Give a date as YYYY-MM-DD."
        return None


def _money(text: str, name: str, errors: Errors) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > 100_000 or value != round(value, 2):
        errors[name] = "Give an amount such as 25 or 12.50."
        return None
    return value


def _lenders(text: str, partners: set[str], errors: Errors) -> tuple[str, ...]:
    symbols = tuple(part for part in re.split(r"[,\s]+", text.strip()) if part)
    wrong = [symbol for symbol in symbols if not _SYMBOL.match(symbol)]
    unknown = [symbol for symbol in symbols if symbol not in partners and symbol not in wrong]
    if wrong:
        errors["lender_string"] = f"Not a library symbol: {', '.join(wrong)}."
    elif unknown:
        errors["lender_string"] = f"Not a partner: {', '.join(unknown)}."
    elif len(set(symbols)) != len(symbols):
        errors["lender_string"] = "Each lender may appear once."
    return symbols


@dataclass(frozen=True)
class FormState:
    """What a refused form brings back to the request page."""

    values: Mapping[str, str] | None = None
    errors: Mapping[str, str] | None = None
    note: str = ""
    note_error: str = ""


def _transaction_context(store: IllStore, number: int, who: SignedInStaff) -> dict[str, Any]:
    transaction = store.get_transaction(number)
    patron = None if transaction.patron_id is None else store.get_patron(transaction.patron_id)
    lock = store.current_lock(number)
    held_by_other = lock is not None and lock.holder != who.user.username
    return {
        "transaction": transaction,
        "patron": patron,
        "lock": lock,
        "held_by_other": held_by_other,
        "actions": []
        if held_by_other or not who.may_change
        else available_actions(transaction.process_type, transaction.status),
        "partners": store.list_partners(),
        "queue_url": _queue_url(transaction.process_type, transaction.status),
    }


def _queue_url(process: ProcessType, status: Status) -> str:
    return f"/staff/queue/{process.value}/{status.value}"


async def _transaction_page(
    request: Request,
    who: SignedInStaff,
    number: int,
    *,
    form: FormState | None = None,
    messages: Sequence[str] = (),
    status: int = 200,
) -> Response:
    context = await _run(request, lambda store: _transaction_context(store, number, who))
    context["partner_messages"] = await _run(
        request, lambda store: _outbox(store).messages(transaction_id=number, limit=50)
    )
    transaction: Transaction = context["transaction"]
    form = form or FormState()
    values = _form_values(transaction)
    values.update(form.values or {})
    context.update(
        title=f"Request {transaction.id}",
        values=values,
        errors=form.errors or {},
        citation_fields=CITATION_FIELDS,
        note_text=form.note,
        note_error=form.note_error,
    )
    return _show(request, who, "staff/transaction.html", context, status=status, messages=messages)


@router.get("/transactions/{number}", name="staff_transaction")
async def transaction_page(request: Request, who: Reader, number: int) -> Response:
    messages = []
    if who.may_change:
        try:
            await _run(request, lambda store: store.take_lock(number, who.user.username))
        except Locked as exc:
            messages.append(
                f"In use by {exc.lock.holder} since {exc.lock.taken:%Y-%m-%d %H:%M} UTC."
            )
    return await _transaction_page(request, who, number, messages=messages)


@router.post("/transactions/{number}/messages/{message_id}/resend")
async def resend(request: Request, who: Changer, number: int, message_id: int) -> Response:
    """Staff's "Resend" on a message to a partner that could not be delivered."""

    def again(store: IllStore) -> bool:
        outbox = _outbox(store)
        message = outbox.get_message(message_id)
        return message.transaction_id == number and outbox.resend(message_id)

    try:
        done = await _run(request, again)
    except UnknownRecord:
        done = False
    if not done:
        raise HTTPException(404, "There is no message to send again here.")
    return _see_other(f"/staff/transactions/{number}?done=resend")


def _outbox(store: IllStore) -> MessageOutbox:
    """The partner-message log (reading it and "Resend" need no protocol adapter)."""
    return MessageOutbox(store, MessagingSettings(), {})


@router.post("/transactions/{number}/take")
async def take_over(request: Request, who: Changer, number: int) -> Response:
    await _run(request, lambda store: store.take_lock(number, who.user.username, force=True))
    return _see_other(f"/staff/transactions/{number}?done=taken")


@router.post("/transactions/{number}/release")
async def release(request: Request, who: Changer, number: int) -> Response:
    fields = await _fields(request)
    # Someone else's lock (Locked): ours is gone already.
    with suppress(Locked):
        await _run(request, lambda store: store.release_lock(number, who.user.username))
    return _see_other(safe_next(fields.get("next"), "/staff/"))


@router.post("/transactions/{number}/edit")
async def edit(request: Request, who: Changer, number: int) -> Response:
    fields = await _fields(request)
    version = _version(fields)
    symbols = await _run(request, lambda store: {p.symbol for p in store.list_partners()})
    checked = check_citation(fields, symbols)
    if isinstance(checked, dict) or version is None:
        errors = checked if isinstance(checked, dict) else {}
        messages = ["The request was not saved: see the marked fields."]
        if version is None:
            messages = ["The form is missing the request's version: reload the page."]
        state = FormState(values=fields, errors=errors)
        return await _transaction_page(
            request, who, number, form=state, messages=messages, status=400
        )

    def save(store: IllStore) -> None:
        current = store.get_transaction(number)
        citation = replace(current.citation, **checked.citation)
        edited = replace(
            current, citation=citation, lender_string=checked.lender_string, version=version
        )
        store.update_transaction(edited, who.user.username)

    try:
        await _run(request, save)
    except (VersionConflict, Locked) as exc:
        state = FormState(values=fields)
        return await _transaction_page(
            request, who, number, form=state, messages=[_refusal(exc)], status=409
        )
    return _see_other(f"/staff/transactions/{number}?done=saved")


def _refusal(exc: Exception) -> str:
    if isinstance(exc, VersionConflict):
        return (
            "Someone changed this request after you opened it; nothing was changed. "
            "The page now shows the request as it is."
        )
    return str(exc)


@router.post("/transactions/{number}/action")
async def act(request: Request, who: Changer, number: int) -> Response:
    fields = await _fields(request)
    version = _version(fields)
    try:
        action = Action(fields.get("action", ""))
    except ValueError:
        return await _transaction_page(
            request, who, number, messages=["There is no such action."], status=400
        )
    note = fields.get("note", "").strip()[:MAX_TEXT] or None
    user = who.user.username

    def press(store: IllStore) -> Transaction:
        before = store.get_transaction(number)
        after = store.apply_action(number, action, user, note=note, expected_version=version)
        if (after.process_type, after.status) != (before.process_type, before.status):
            store.release_lock(number, user)
        return before

    try:
        before = await _run(request, press)
    except (TransitionRefused, Locked, VersionConflict) as exc:
        return await _transaction_page(request, who, number, messages=[_refusal(exc)], status=409)
    return _see_other(f"{_queue_url(before.process_type, before.status)}?moved={number}")


@router.post("/transactions/{number}/note")
async def add_note(request: Request, who: Changer, number: int) -> Response:
    fields = await _fields(request)
    text = fields.get("text", "").strip()
    error = ""
    if not text:
        error = "Write the note first."
    elif len(text) > MAX_NOTE:
        error = f"A note may be {MAX_NOTE} characters at most."
    if error:
        state = FormState(note=fields.get("text", ""), note_error=error)
        return await _transaction_page(request, who, number, form=state, status=400)
    visible = fields.get("patron_visible") == "on"
    await _run(
        request,
        lambda store: store.add_note(number, who.user.username, text, patron_visible=visible),
    )
    return _see_other(f"/staff/transactions/{number}?done=note")


# Holdings


@router.get("/transactions/{number}/holdings", name="staff_holdings")
async def holdings(request: Request, who: Reader, number: int, fragment: bool = False) -> Response:
    transaction = await _run(request, lambda store: store.get_transaction(number))
    lookup: HoldingsLookup | None = getattr(request.app.state, "ill_holdings", None)
    found = None
    message = ""
    if lookup is None or not lookup.enabled:
        message = NOT_SET_UP
    else:
        found = await lookup.look_up(transaction.citation)
        if found is None:
            message = "The request has no ISBN, ISSN, OCLC number or title to look up."
    context = {
        "title": f"Holdings for request {number}",
        "transaction": transaction,
        "holdings": found,
        "message": message,
    }
    template = "staff/_holdings.html" if fragment else "staff/holdings.html"
    return _show(request, who, template, context)


# Partners

PARTNER_TEXT = ("symbol", "name", "email", "endpoint", "delivery_address")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:(\d{1,5})$")


def _is_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_partner(fields: Mapping[str, str], existing: Partner | None) -> Partner | Errors:
    """The partner the form describes, or a message for each wrong field."""
    errors: Errors = {}
    values = {name: fields.get(name, "").strip() for name in PARTNER_TEXT}
    symbol = existing.symbol if existing else values["symbol"]
    if not _SYMBOL.match(symbol):
        errors["symbol"] = "A symbol is letters, digits and : . _ - (such as US-CST), 64 at most."
    if not values["name"] or len(values["name"]) > 255:
        errors["name"] = "Give the library's name (255 characters at most)."
    address = tuple(line.strip() for line in fields.get("address", "").splitlines() if line.strip())
    if len(address) > 10 or any(len(line) > 255 for line in address):
        errors["address"] = "An address has 10 lines at most, each 255 characters at most."
    if values["email"] and not _EMAIL.match(values["email"]):
        errors["email"] = "Not an e-mail address."
    try:
        protocol = PartnerProtocol(fields.get("protocol", ""))
    except ValueError:
        errors["protocol"] = "Choose a protocol."
        protocol = PartnerProtocol.MANUAL
    _check_endpoint(protocol, values, errors)
    delivery = values["delivery_address"]
    if delivery and not (_EMAIL.match(delivery) or _is_url(delivery)):
        errors["delivery_address"] = "Give an e-mail address or an http(s) URL."
    if errors:
        return errors
    return replace(
        existing or Partner(symbol),
        name=values["name"],
        address=address,
        email=values["email"],
        protocol=protocol,
        endpoint=values["endpoint"],
        delivery_address=delivery,
        trusted=fields.get("trusted") == "on",
        active=fields.get("active") == "on",
    )


def _check_endpoint(protocol: PartnerProtocol, values: Mapping[str, str], errors: Errors) -> None:
    endpoint = values["endpoint"]
    if protocol is PartnerProtocol.EMAIL and not values["email"]:
        errors.setdefault("email", "Requests go by e-mail: give the address.")
    if protocol is PartnerProtocol.ISOILL:
        port = _HOST_PORT.match(endpoint)
        if port is None or not 0 < int(port[1]) < 65536:
            errors["endpoint"] = "ISO ILL needs host:port, such as ill.example.edu:1611."
    elif protocol is PartnerProtocol.ISO18626 and not _is_url(endpoint):
        errors["endpoint"] = "ISO 18626 needs the partner's http(s) URL."
    elif len(endpoint) > 500:
        errors["endpoint"] = "The endpoint may be 500 characters at most."


def _partner_values(partner: Partner | None) -> dict[str, str]:
    if partner is None:
        return {"protocol": PartnerProtocol.MANUAL.value, "active": "on"}
    values = {name: str(getattr(partner, name)) for name in PARTNER_TEXT}
    values.update(address="\n".join(partner.address), protocol=partner.protocol.value)
    values.update(trusted="on" if partner.trusted else "", active="on" if partner.active else "")
    return values


def _partner_form(
    request: Request,
    who: SignedInStaff,
    partner: Partner | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    context = {
        "title": f"Partner {partner.symbol}" if partner else "New partner",
        "partner": partner,
        "values": values,
        "errors": errors,
        "protocols": list(PartnerProtocol),
    }
    messages = ["The partner was not saved: see the marked fields."] if errors else []
    return _show(request, who, "staff/partner_form.html", context, status=status, messages=messages)


@router.get("/partners", name="staff_partners")
async def partners(request: Request, who: Reader) -> Response:
    listed = await _run(request, lambda store: store.list_partners())
    return _show(request, who, "staff/partners.html", {"title": "Partners", "partners": listed})


@router.get("/partners/new")
async def new_partner_form(request: Request, who: Reader) -> Response:
    _require_admin(who)
    return _partner_form(request, who, None, _partner_values(None), {})


@router.post("/partners/new")
async def new_partner(request: Request, who: Admin) -> Response:
    fields = await _fields(request)
    checked = check_partner(fields, None)
    if isinstance(checked, dict):
        return _partner_form(request, who, None, fields, checked, status=400)
    partner = checked
    try:
        await _run(request, lambda store: store.create_partner(partner))
    except Duplicate:
        errors = {"symbol": f"There is a partner {partner.symbol} already."}
        return _partner_form(request, who, None, fields, errors, status=400)
    return _see_other("/staff/partners?done=partner")


async def _partner(request: Request, symbol: str) -> Partner:
    partner = await _run(request, lambda store: store.get_partner(symbol))
    if partner is None:
        raise HTTPException(404, f"There is no partner {symbol}.")
    return partner


@router.get("/partners/{symbol}/edit")
async def edit_partner_form(request: Request, who: Reader, symbol: str) -> Response:
    _require_admin(who)
    partner = await _partner(request, symbol)
    return _partner_form(request, who, partner, _partner_values(partner), {})


@router.post("/partners/{symbol}/edit")
async def edit_partner(request: Request, who: Admin, symbol: str) -> Response:
    partner = await _partner(request, symbol)
    fields = await _fields(request)
    checked = check_partner(fields, partner)
    if isinstance(checked, dict):
        return _partner_form(request, who, partner, {**fields, "symbol": symbol}, checked, 400)
    await _run(request, lambda store: store.update_partner(checked))
    return _see_other("/staff/partners?done=partner")


# Routing rules

CONDITION_ROWS = 3


def check_rule(
    fields: Mapping[str, str], taken: set[int], number: int | None = None
) -> RoutingRule | Errors:
    """The rule the form describes, or a message for each wrong field. ``taken``: the
    numbers of other rules; ``number``: the rule being edited."""
    errors: Errors = {}
    text = fields.get("number", "").strip()
    rule_number = int(text) if text.isdigit() and 0 < int(text) < 100_000 else None
    if rule_number is None:
        errors["number"] = "Give a whole number from 1 to 99999."
    elif rule_number in taken and rule_number != number:
        errors["number"] = f"There is a rule {rule_number} already."
    watched = _enum(Status, fields.get("status", ""), "status", "Choose a status.", errors)
    new_process = _enum(ProcessType, fields.get("new_process_type", ""), "new_process_type")
    new_status = _enum(Status, fields.get("new_status", ""), "new_status")
    if new_process is None and new_status is None:
        errors["new_status"] = "Choose a new status, a new process, or both."
    conditions = _conditions(fields, errors)
    description = fields.get("description", "").strip()
    if len(description) > 500:
        errors["description"] = "A description may be 500 characters at most."
    if watched is not None and not errors:
        _check_move(watched, new_process, new_status, errors)
    if errors or watched is None or rule_number is None:
        return errors
    return RoutingRule(
        rule_number,
        watched,
        conditions,
        new_status=new_status,
        new_process_type=new_process,
        description=description,
        active=fields.get("active") == "on",
    )


_E = TypeVar("_E", Status, ProcessType, Field, Operator)


def _enum(
    kind: type[_E], value: str, name: str, missing: str = "", errors: Errors | None = None
) -> _E | None:
    if not value:
        if missing and errors is not None:
            errors[name] = missing
        return None
    try:
        return kind(value)
    except ValueError:
        if errors is not None:
            errors[name] = "Not one of the choices."
        return None


def _conditions(fields: Mapping[str, str], errors: Errors) -> tuple[Condition, ...]:
    conditions = []
    for row in range(1, CONDITION_ROWS + 1):
        field_name = fields.get(f"field_{row}", "")
        if not field_name:
            continue
        field = _enum(Field, field_name, f"condition_{row}", errors=errors)
        operator_name = fields.get(f"operator_{row}", "")
        operator = _enum(
            Operator, operator_name, f"condition_{row}", "Choose a comparison.", errors
        )
        value = fields.get(f"value_{row}", "").strip()
        if operator not in (None, Operator.IS_EMPTY) and not value:
            errors[f"condition_{row}"] = "Give the value to compare with."
        elif len(value) > 255:
            errors[f"condition_{row}"] = "A value may be 255 characters at most."
        if field is not None and operator is not None:
            conditions.append(Condition(field, operator, value))
    return tuple(conditions)


def _check_move(
    watched: Status, new_process: ProcessType | None, new_status: Status | None, errors: Errors
) -> None:
    """Refuse a rule the workflow would never let move a request."""
    target_status = new_status or watched
    if new_process is not None and target_status not in allowed(new_process):
        where = "new_status" if new_status else "new_process_type"
        errors[where] = (
            f"“{target_status.display}” is not a status of "
            f"{PROCESS_NAMES[new_process].lower()} requests."
        )
        return
    processes = [process for process in ProcessType if process in watched.process_types]
    for process in processes:
        if (new_process or process, target_status) in TRANSITIONS.get((process, watched), ()):
            return
    process = processes[0]
    refused = TransitionRefused(process, watched, target_status, new_process)
    errors["new_status"] = f"The workflow does not allow this move: {refused}"


def _rule_values(rule: RoutingRule | None) -> dict[str, str]:
    if rule is None:
        return {"active": "on"}
    values = {
        "number": str(rule.number),
        "status": rule.status.value,
        "new_status": rule.new_status.value if rule.new_status else "",
        "new_process_type": rule.new_process_type.value if rule.new_process_type else "",
        "description": rule.description,
        "active": "on" if rule.active else "",
    }
    for row, condition in enumerate(rule.conditions, start=1):
        values.update(
            {
                f"field_{row}": condition.field.value,
                f"operator_{row}": condition.operator.value,
                f"value_{row}": condition.value,
            }
        )
    return values


def _rule_form(
    request: Request,
    who: SignedInStaff,
    number: int | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    context = {
        "title": f"Routing rule {number}" if number else "New routing rule",
        "number": number,
        "values": values,
        "errors": errors,
        "statuses": list(Status),
        "processes": list(ProcessType),
        "fields": list(Field),
        "operators": list(Operator),
        "rows": range(1, CONDITION_ROWS + 1),
    }
    messages = ["The rule was not saved: see the marked fields."] if errors else []
    return _show(request, who, "staff/rule_form.html", context, status=status, messages=messages)


@router.get("/routing", name="staff_routing")
async def routing(request: Request, who: Reader) -> Response:
    rules = await _run(request, lambda store: store.routing_rules())
    return _show(request, who, "staff/routing.html", {"title": "Routing rules", "rules": rules})


@router.get("/routing/new")
async def new_rule_form(request: Request, who: Reader) -> Response:
    _require_admin(who)
    return _rule_form(request, who, None, _rule_values(None), {})


@router.post("/routing/new")
async def new_rule(request: Request, who: Admin) -> Response:
    fields = await _fields(request)
    taken = await _run(request, lambda store: {rule.number for rule in store.routing_rules()})
    checked = check_rule(fields, taken)
    if isinstance(checked, dict):
        return _rule_form(request, who, None, fields, checked, status=400)
    try:
        await _run(request, lambda store: store.add_routing_rule(checked))
    except Duplicate:
        errors = {"number": f"There is a rule {checked.number} already."}
        return _rule_form(request, who, None, fields, errors, status=400)
    return _see_other("/staff/routing?done=rule")


async def _rule(request: Request, number: int) -> tuple[RoutingRule, list[RoutingRule]]:
    rules = await _run(request, lambda store: store.routing_rules())
    found = next((rule for rule in rules if rule.number == number), None)
    if found is None:
        raise HTTPException(404, f"There is no routing rule {number}.")
    return found, rules


@router.get("/routing/{number}/edit")
async def edit_rule_form(request: Request, who: Reader, number: int) -> Response:
    _require_admin(who)
    rule, _rules = await _rule(request, number)
    return _rule_form(request, who, number, _rule_values(rule), {})


@router.post("/routing/{number}/edit")
async def edit_rule(request: Request, who: Admin, number: int) -> Response:
    _rule_found, rules = await _rule(request, number)
    fields = await _fields(request)
    checked = check_rule(fields, {rule.number for rule in rules}, number)
    if isinstance(checked, dict):
        return _rule_form(request, who, number, fields, checked, status=400)
    others = [rule for rule in rules if rule.number != number]
    await _run(request, lambda store: store.replace_routing_rules([*others, checked]))
    return _see_other("/staff/routing?done=rule")


@router.post("/routing/{number}/delete")
async def delete_rule(request: Request, who: Admin, number: int) -> Response:
    await _run(request, lambda store: store.delete_routing_rule(number))
    return _see_other("/staff/routing?done=deleted")


# Reports


@dataclass(frozen=True)
class PeriodForm:
    since: str = ""
    until: str = ""
    errors: Mapping[str, str] | None = None

    def period(self) -> reports.Period:
        since = _day(self.since)
        until = _day(self.until)
        return reports.Period(
            None if since is None else datetime.combine(since, time(), UTC),
            None if until is None else datetime.combine(until + timedelta(days=1), time(), UTC),
        )

    def query(self) -> str:
        return urlencode({"since": self.since, "until": self.until})


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def check_period(since: str, until: str) -> PeriodForm:
    """The date range (``until`` inclusive), with a message for each wrong date."""
    since, until = since.strip(), until.strip()
    errors: Errors = {}
    first = _date(since, "since", errors)
    last = _date(until, "until", errors)
    if first and last and last < first:
        errors["until"] = "The end comes before the start."
    return PeriodForm(since, until, errors)


def _report(name: str) -> reports.Report:
    report = reports.REPORTS.get(name)
    if report is None:
        raise HTTPException(404, "There is no such report.")
    return report


@router.get("/reports", name="staff_reports")
async def report_index(request: Request, who: Reader, since: str = "", until: str = "") -> Response:
    form = check_period(since, until)
    context = {"title": "Reports", "reports": list(reports.REPORTS.values()), "form": form}
    return _show(request, who, "staff/reports.html", context, status=400 if form.errors else 200)


@router.get("/reports/{name}.csv")
async def report_csv(
    request: Request, who: Reader, name: str, since: str = "", until: str = ""
) -> Response:
    report = _report(name)
    form = check_period(since, until)
    if form.errors:
        raise HTTPException(400, " ".join(form.errors.values()))
    table = await _run(request, lambda store: report.make(store, form.period()))
    filename = f"shelfnet-{name}-{form.since or 'start'}-{form.until or 'today'}.csv"
    return Response(
        reports.to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/{name}")
async def report_page(
    request: Request, who: Reader, name: str, since: str = "", until: str = ""
) -> Response:
    report = _report(name)
    form = check_period(since, until)
    table = None
    if not form.errors:
        table = await _run(request, lambda store: report.make(store, form.period()))
    context = {"title": report.title, "report": report, "table": table, "form": form}
    return _show(request, who, "staff/report.html", context, status=400 if form.errors else 200)


# Search


@router.get("/search", name="staff_search")
async def search(request: Request, who: Reader, q: str = "") -> Response:
    text = q.strip()[:200]

    def find(store: IllStore) -> list[QueueItem]:
        if not text:
            return []
        found = {item.id: item for item in store.search(text)}
        for patron in store.patrons(text, limit=20):
            found.update((item.id, item) for item in store.search(patron=patron.username))
        return sorted(found.values(), key=lambda item: (item.created, item.id), reverse=True)

    items = await _run(request, find)
    context = {"title": "Search", "q": text, "items": items}
    return _show(request, who, "staff/search.html", context)
