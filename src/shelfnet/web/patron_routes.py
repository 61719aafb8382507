"""The patron's pages of the ILL server (``/ill/``): their requests, the request forms (also
reached from OpenURL links), a request's page with cancel and renewal, and the personal feed.

Every page needs a signed-in patron (`patron_reading`: a browser that is not signed in is
sent to sign in and brought back, OpenURL query included); every change needs the sign-on's
CSRF token too (`patron_changing`). A patron only ever sees their own requests: another
patron's request answers 404, exactly as a request that does not exist. The feed is the one
page without sign-in: its address holds the patron's feed token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from shelfnet.ill import feed
from shelfnet.ill.model import ClearedState, Patron, RequestType, Transaction
from shelfnet.ill.openurl import parse_openurl
from shelfnet.ill.store import IllStore, PatronList, UnknownRecord, VersionConflict
from shelfnet.ill.workflow import Action, Locked, Status, TransitionRefused, available_actions
from shelfnet.web import patron_forms
from shelfnet.web.ill_access import BLOCKED, IllWeb, SignedInPatron, patron_changing, patron_reading
from shelfnet.web.patron_forms import COMMON, KINDS, RequestKind

router = APIRouter()

Reading = Annotated[SignedInPatron, Depends(patron_reading)]
Changing = Annotated[SignedInPatron, Depends(patron_changing)]

NOT_FOUND = "There is no such request among yours."
PATRON_ACTIONS = (Action.CANCEL_BY_CUSTOMER, Action.REQUEST_RENEWAL)
STALE = (
    "This request changed since you opened its page (ILL staff may have worked on it): "
    "here it is as it is now. Please check it and try again."
)
LOCKED = "ILL staff are working on this request just now: please try again in a little while."
DONE = {
    "created": "Thank you: your request has been received.",
    "cancelled": "Your request has been cancelled.",
    "renewal": "Your renewal request has been sent to ILL staff.",
    "feed": "Your feed has a new address: the old one no longer works.",
}
"""Messages a page shows after a change (``?done=``), never text from the address itself."""
LISTS = {
    PatronList.OUTSTANDING: "My outstanding requests",
    PatronList.HISTORY: "My finished requests",
    PatronList.CANCELLED: "My cancelled requests",
}


def _ill(request: Request) -> IllWeb:
    ill: IllWeb = request.app.state.ill
    return ill


def _page(
    request: Request,
    who: SignedInPatron,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    response: Response = request.app.state.context.templates.TemplateResponse(
        request,
        f"ill/{template}",
        {
            "patron": who.patron,
            "csrf_token": who.signon.csrf,
            "messages": [done] if done else [],
            "kinds": KINDS,
            "blocked_message": BLOCKED,
            **context,
        },
        status_code=status,
    )
    return response


# Lists


@dataclass(frozen=True)
class Row:
    """A request as the lists show it."""

    id: int
    title: str
    kind: str
    status: str
    updated: str


def _row(transaction: Transaction) -> Row:
    return Row(
        transaction.id,
        feed.cited_title(transaction.citation),
        _kind_label(transaction),
        transaction.status.display,
        f"{transaction.updated:%Y-%m-%d %H:%M}",
    )


def _kind_label(transaction: Transaction) -> str:
    kind = patron_forms.kind_for(transaction.document_type)
    if kind.request_type is None:
        wanted = "copy" if transaction.request_type is RequestType.COPY else "loan"
        return f"{kind.label} ({wanted})"
    return kind.label


def _list_page(request: Request, who: SignedInPatron, kind: PatronList) -> Response:
    ill = _ill(request)
    transactions = ill.store.transactions_for_patron(who.patron.id, kind)
    base = str(request.base_url)
    token = who.patron.feed_token
    return _page(
        request,
        who,
        "requests.html",
        {
            "title": LISTS[kind],
            "list": kind.value,
            "rows": [_row(transaction) for transaction in transactions],
            "feed_atom": f"{base}ill/feed/{token}.atom",
            "feed_rss": f"{base}ill/feed/{token}.rss",
            "blocked": _blocked(who.patron),
        },
    )


@router.get("/ill/", name="patron_home")
def patron_home(request: Request, who: Reading) -> Response:
    return _list_page(request, who, PatronList.OUTSTANDING)


@router.get("/ill/history", name="patron_history")
def patron_history(request: Request, who: Reading) -> Response:
    return _list_page(request, who, PatronList.HISTORY)


@router.get("/ill/cancelled", name="patron_cancelled")
def patron_cancelled(request: Request, who: Reading) -> Response:
    return _list_page(request, who, PatronList.CANCELLED)


# Request forms


def _blocked(patron: Patron) -> bool:
    return patron.cleared in (ClearedState.BLOCKED, ClearedState.DISAVOWED)


def _kind(name: str) -> RequestKind:
    kind = KINDS.get(name)
    if kind is None:
        raise HTTPException(404, "There is no such request form.")
    return kind


def _form_page(
    request: Request,
    who: SignedInPatron,
    kind: RequestKind,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int = 200,
) -> Response:
    blocked = _blocked(who.patron)
    return _page(
        request,
        who,
        "request_form.html",
        {
            "title": f"New request: {kind.label}",
            "kind": kind,
            "common": COMMON,
            "values": values,
            "errors": errors,
            "blocked": blocked,
            "statement": patron_forms.COPYRIGHT_STATEMENT,
            "confirmation": patron_forms.COPYRIGHT_CONFIRMATION,
        },
        status=status,
    )


@router.get("/ill/request/{kind}", name="patron_request_form")
def request_form(request: Request, kind: str, who: Reading) -> Response:
    form = _kind(kind)
    return _form_page(request, who, form, patron_forms.blank(form), {})


@router.get("/ill/openurl", name="patron_openurl")
def openurl_form(request: Request, who: Reading) -> Response:
    """The request form an OpenURL link leads to, filled in from it; nothing is created
    until the patron sends the form."""
    kind, values = patron_forms.prefilled(parse_openurl(request.url.query))
    return _form_page(request, who, kind, values, {})


@router.post("/ill/request/{kind}")
async def send_request(request: Request, kind: str, who: Changing) -> Response:
    form = _kind(kind)
    sent = await request.form()
    values = patron_forms.submitted(
        form, {name: value for name, value in sent.items() if isinstance(value, str)}
    )
    if _blocked(who.patron):
        return _form_page(request, who, form, values, {}, status=403)
    ill = _ill(request)
    checked = patron_forms.check(form, values, ill.clock().date())
    if isinstance(checked, dict):
        return _form_page(request, who, form, values, checked, status=400)
    patron = who.patron

    def create(store: IllStore) -> Transaction:
        transaction = store.create_transaction(checked.draft(patron.id), by=patron.username)
        if checked.note:
            store.add_note(transaction.id, patron.username, checked.note, patron_visible=True)
        return transaction

    created = await ill.run(create)
    return RedirectResponse(f"/ill/requests/{created.id}?done=created", status_code=303)


# One request


def _own(store: IllStore, patron: Patron, transaction_id: int) -> Transaction:
    """The patron's request, or 404 (also for another patron's: no hint that it exists)."""
    try:
        transaction = store.get_transaction(transaction_id)
    except UnknownRecord:
        raise HTTPException(404, NOT_FOUND) from None
    if transaction.patron_id != patron.id:
        raise HTTPException(404, NOT_FOUND)
    return transaction


def _patron_actions(transaction: Transaction) -> list[Action]:
    offered = available_actions(transaction.process_type, transaction.status)
    return [action for action in PATRON_ACTIONS if action in offered]


_SHOWN_APART = frozenset({"accept_alternate_edition", "copyright_compliance"})


def _citation_rows(transaction: Transaction) -> list[tuple[str, str]]:
    """(label, value) for the citation's filled-in fields, labelled as the request's form
    labels them."""
    citation = transaction.citation
    kind = patron_forms.kind_for(transaction.document_type)
    labels = {field.name: field.label for field in (*kind.fields, *COMMON)}
    rows: list[tuple[str, str]] = []
    for field in fields(citation):
        value = getattr(citation, field.name)
        if field.name in _SHOWN_APART or value is None or value == "":
            continue
        label = labels.get(field.name, field.name.replace("_", " ").capitalize())
        rows.append((label, str(value)))
    if kind.alternate_edition:
        rows.append(
            ("Another edition will do", "yes" if citation.accept_alternate_edition else "no")
        )
    return rows


def _detail_page(
    request: Request,
    who: SignedInPatron,
    transaction: Transaction,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    history = [
        (f"{change.at:%Y-%m-%d %H:%M}", change.to_status.display) for change in transaction.history
    ]
    return _page(
        request,
        who,
        "request_detail.html",
        {
            "title": f"Request {transaction.id}: {feed.cited_title(transaction.citation)}",
            "transaction": transaction,
            "kind_label": _kind_label(transaction),
            "status": transaction.status.display,
            "citation": _citation_rows(transaction),
            "notes": [note for note in transaction.notes if note.patron_visible],
            "history": list(reversed(history)),
            "actions": [action.value for action in _patron_actions(transaction)],
            "delivered": transaction.status is Status.DELIVERED_TO_WEB,
            "files": _files(request, transaction),
            "error": error,
        },
        status=status,
    )


def _files(request: Request, transaction: Transaction) -> list[Any]:
    """The request's delivered files (``delivery_routes``), none before any was delivered."""
    from shelfnet.web.delivery_routes import patron_files

    return list(patron_files(_ill(request), transaction))


@router.get("/ill/requests/{transaction_id}", name="patron_request")
def request_page(request: Request, transaction_id: int, who: Reading) -> Response:
    transaction = _own(_ill(request).store, who.patron, transaction_id)
    return _detail_page(request, who, transaction)


async def _act(
    request: Request, who: SignedInPatron, transaction_id: int, action: Action, done: str
) -> Response:
    """Press one of the patron's buttons, against the version their page showed."""
    sent = await request.form()
    version = _version(sent.get("expected_version"))
    ill = _ill(request)
    patron = who.patron

    def work(store: IllStore) -> tuple[Transaction, str]:
        transaction = _own(store, patron, transaction_id)
        if version is None or version != transaction.version:
            return transaction, STALE
        if action not in _patron_actions(transaction):
            return transaction, _not_offered(action, transaction.status)
        try:
            store.apply_action(transaction_id, action, patron.username, expected_version=version)
        except VersionConflict:
            return store.get_transaction(transaction_id), STALE
        except Locked:
            return transaction, LOCKED
        except TransitionRefused:
            return transaction, _not_offered(action, transaction.status)
        return transaction, ""

    transaction, problem = await ill.run(work)
    if problem:
        return _detail_page(request, who, transaction, error=problem, status=409)
    return RedirectResponse(f"/ill/requests/{transaction_id}?done={done}", status_code=303)


def _version(value: object) -> int | None:
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def _not_offered(action: Action, status: Status) -> str:
    what = "cancelled" if action is Action.CANCEL_BY_CUSTOMER else "renewed"
    return f'A request in "{status.display}" cannot be {what} from this page.'


@router.post("/ill/requests/{transaction_id}/cancel", name="patron_cancel")
async def cancel_request(request: Request, transaction_id: int, who: Changing) -> Response:
    return await _act(request, who, transaction_id, Action.CANCEL_BY_CUSTOMER, "cancelled")


@router.post("/ill/requests/{transaction_id}/renew", name="patron_renew")
async def renew_request(request: Request, transaction_id: int, who: Changing) -> Response:
    return await _act(request, who, transaction_id, Action.REQUEST_RENEWAL, "renewal")


# The personal feed


def _feed(request: Request, token: str, render: Callable[[feed.Feed, feed.Link], bytes]) -> bytes:
    store = _ill(request).store
    patron = store.find_patron_by_feed_token(token) if 20 <= len(token) <= 64 else None
    if patron is None:
        raise HTTPException(404, "There is no feed at this address.")
    base = str(request.base_url)
    address = str(request.url.replace(query=""))
    document = feed.patron_feed(store, patron, address)
    return render(document, lambda number: f"{base}ill/requests/{number}")


_FEED_HEADERS = {"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"}


@router.get("/ill/feed/{token}.atom", name="patron_feed_atom")
def feed_atom(request: Request, token: str) -> Response:
    body = _feed(request, token, feed.atom)
    return Response(body, media_type=feed.ATOM_TYPE, headers=_FEED_HEADERS)


@router.get("/ill/feed/{token}.rss", name="patron_feed_rss")
def feed_rss(request: Request, token: str) -> Response:
    body = _feed(request, token, feed.rss)
    return Response(body, media_type=feed.RSS_TYPE, headers=_FEED_HEADERS)


@router.post("/ill/feed/renew", name="patron_feed_renew")
async def renew_feed(request: Request, who: Changing) -> Response:
    patron_id = who.patron.id
    await _ill(request).run(lambda store: store.renew_feed_token(patron_id))
    return RedirectResponse("/ill/?done=feed", status_code=303)
