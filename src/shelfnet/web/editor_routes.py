"""The record editor: a found record edited as mnemonic text, checked as it is typed.

GET  /edit/{id}/{target}/{position}                 the editor, on the current saved version
POST /edit/{id}/{target}/{position}/validate        JSON {"text"} -> problems by line and the
                                                    field view; a form post gets the page
POST /edit/{id}/{target}/{position}/save            read + validate; errors block, warnings not
POST /edit/{id}/{target}/{position}/undo            back to the version before the last save
POST /edit/{id}/{target}/{position}/macro           run a macro on the typed text: its diff
POST /edit/{id}/{target}/{position}/apply           save the macro's result (the second step)
GET  /edit/{id}/{target}/{position}/download?format the saved version: marc, marc8, marcxml,
                                                    mrk, ris, bibtex, mods
GET  /edit/{id}/{target}/{position}/source          the source record's bytes as received

``{id}/{target}/{position}`` name the record as the search pages do. Posts carry the
double-submit CSRF token (``csrf.py``): a form field, or the ``X-CSRF-Token`` header of the
page's validate-as-you-type calls. Edit sessions live in ``app.state.editor``
(``install`` puts a store there; the routes make a default one otherwise).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Annotated

import pymarc
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from shelfnet.marc import bibexport, decode_marc, macros
from shelfnet.marc.errors import MarcError
from shelfnet.marc.export import ExportFormat, export_records
from shelfnet.marc.flavours import detect
from shelfnet.marc.mnemonic import is_marc8, to_mnemonic
from shelfnet.web import csrf
from shelfnet.web.app import WebContext
from shelfnet.web.editor_state import (
    MAX_TEXT,
    Checked,
    EditSession,
    EditStore,
    check,
    normalised,
)
from shelfnet.z3950.oids import syntax_name

router = APIRouter()

PREFIX = "/edit/{session_id}/{target}/{position}"
NOTICES = {
    "saved": "Saved. Undo goes back to the version before.",
    "applied": "The macro's result is saved. Undo goes back to the version before it.",
    "undone": "Undone: the version before the last save is back.",
    "nothing": "Nothing to undo: this is the record as it was found.",
}


@dataclass(frozen=True)
class Download:
    """One way to download the saved record: its query value, label, suffix, media type."""

    value: str
    label: str
    suffix: str
    media_type: str


DOWNLOADS = (
    Download("marc", "MARC 21, UTF-8 (.mrc)", ".mrc", "application/marc"),
    Download("marc8", "MARC 21, MARC-8 (.mrc)", ".mrc", "application/marc"),
    Download("marcxml", "MARCXML (.xml)", ".xml", "application/marcxml+xml"),
    Download("mrk", "MARC mnemonic (.mrk)", ".mrk", "text/plain; charset=utf-8"),
    Download("ris", "RIS (.ris)", ".ris", "application/x-research-info-systems"),
    Download("bibtex", "BibTeX (.bib)", ".bib", "application/x-bibtex; charset=utf-8"),
    Download("mods", "MODS (.xml)", ".xml", "application/mods+xml"),
)


def install(app: FastAPI, store: EditStore | None = None) -> None:
    """Add the editor to the search app: its routes and its edit sessions."""
    app.state.editor = store or EditStore()
    app.include_router(router)


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


def get_store(request: Request) -> EditStore:
    store = getattr(request.app.state, "editor", None)
    if not isinstance(store, EditStore):
        store = request.app.state.editor = EditStore()
    return store


Context = Annotated[WebContext, Depends(get_context)]
Store = Annotated[EditStore, Depends(get_store)]


def edit_session(
    session_id: str, target: int, position: int, context: Context, store: Store
) -> EditSession:
    """The record's edit session, opened from the search session's record when new."""
    search = context.store.get(session_id)
    if search is None:
        raise HTTPException(
            404, f"No search {session_id!r} is kept here: start it again from the search page."
        )
    found = None
    if 0 <= target < len(search.targets):
        found = search.record(search.targets[target].name, position)
    if found is None:
        raise HTTPException(404, f"This search has no record {position} from target {target}.")
    return store.open((session_id, target, position), found)


Editing = Annotated[EditSession, Depends(edit_session)]


@router.get(PREFIX, name="editor")
async def editor(request: Request, context: Context, editing: Editing, done: str = "") -> Response:
    current = editing.current
    checked = check(current.text)
    return _page(request, context, editing, checked, notice=NOTICES.get(done, ""))


@router.post(PREFIX + "/validate", name="editor_validate")
async def validate_text(request: Request, context: Context, editing: Editing) -> Response:
    await csrf.check_anonymous(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        checked = check(normalised(await _json_text(request)))
        return JSONResponse(_checked_json(checked))
    checked = check(await _form_text(request))
    return _page(request, context, editing, checked, status=_status(checked))


@router.post(PREFIX + "/save", name="editor_save")
async def save(request: Request, context: Context, editing: Editing) -> Response:
    await csrf.check_anonymous(request)
    return _save(request, context, editing, await _form_text(request), "saved")


@router.post(PREFIX + "/apply", name="editor_apply")
async def apply(request: Request, context: Context, editing: Editing) -> Response:
    await csrf.check_anonymous(request)
    return _save(request, context, editing, await _form_text(request), "applied")


@router.post(PREFIX + "/undo", name="editor_undo")
async def undo(request: Request, editing: Editing) -> Response:
    await csrf.check_anonymous(request)
    done = "undone" if editing.undo() else "nothing"
    return _back(request, editing, done)


@router.post(PREFIX + "/macro", name="editor_macro")
async def run_macro(request: Request, context: Context, editing: Editing) -> Response:
    await csrf.check_anonymous(request)
    form = await request.form()
    name = form.get("macro")
    checked = check(await _form_text(request))
    if not isinstance(name, str) or name not in {info.name for info in macros.list_macros()}:
        return _page(request, context, editing, checked, error="Choose a macro to run.")
    if checked.record is None:
        error = "The text cannot be read as a record, so the macro cannot run: fix it first."
        return _page(request, context, editing, checked, error=error, status=422)
    result = macros.run_macro(macros.load_macro(name), checked.record)
    if result.error is not None:
        error = f"The macro stopped: {result.error}"
        return _page(request, context, editing, checked, error=error, status=422)
    preview = MacroPreview(
        name=name,
        changes=tuple(result.changes),
        diff=diff_lines(result.diff),
        text=to_mnemonic(result.record),
    )
    return _page(request, context, editing, checked, preview=preview)


@router.get(PREFIX + "/download", name="editor_download")
async def download(editing: Editing, format: Annotated[str, Query()] = "marc") -> Response:
    chosen = next((item for item in DOWNLOADS if item.value == format), None)
    if chosen is None:
        known = ", ".join(item.value for item in DOWNLOADS)
        raise HTTPException(400, f"Unknown download format {format!r}: choose {known}.")
    try:
        body = _written(editing.current.record, chosen.value)
    except MarcError as exc:
        raise HTTPException(400, f"The record cannot be written as {chosen.label}: {exc}") from exc
    stem = _stem(editing)
    filename = f"{stem}{chosen.suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=chosen.media_type, headers=headers)


@router.get(PREFIX + "/source", name="editor_source")
async def source(editing: Editing) -> Response:
    found = editing.source
    xml = found.raw.lstrip().startswith(b"<")
    filename = f"{_stem(editing)}-source{'.xml' if xml else '.mrc'}"
    return Response(
        found.raw,
        media_type="application/xml" if xml else "application/marc",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@dataclass(frozen=True)
class MacroPreview:
    """A macro's result shown before it is applied."""

    name: str
    changes: tuple[str, ...]
    diff: tuple[tuple[str, str], ...]
    """(kind, line): kind ``add``, ``remove``, ``hunk``, ``file`` or ``same``."""
    text: str


def diff_lines(diff: str) -> tuple[tuple[str, str], ...]:
    """A unified diff's lines, each with the kind the page styles it by."""
    kinds: list[tuple[str, str]] = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = {"+": "add", "-": "remove"}.get(line[:1], "same")
        kinds.append((kind, line))
    return tuple(kinds)


def _save(
    request: Request, context: WebContext, editing: EditSession, text: str, done: str
) -> Response:
    checked = check(text)
    if not checked.savable or checked.record is None:
        error = (
            f"Not saved: {checked.errors} error{'s' if checked.errors != 1 else ''} to fix "
            "first (warnings do not stop a save). Your text is kept below."
        )
        return _page(request, context, editing, checked, error=error, status=422)
    editing.save(checked.text, checked.record)
    return _back(request, editing, done)


def _back(request: Request, editing: EditSession, done: str) -> Response:
    session_id, target, position = editing.key
    url = request.url_for("editor", session_id=session_id, target=target, position=position)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _page(
    request: Request,
    context: WebContext,
    editing: EditSession,
    checked: Checked,
    *,
    notice: str = "",
    error: str = "",
    preview: MacroPreview | None = None,
    status: int = 200,
) -> Response:
    search = context.store.get(editing.search_id)
    found = editing.source
    token = csrf.anonymous_token(request)
    session_id, target, position = editing.key
    page = {
        "search": search,
        "key": {"session_id": session_id, "target": target, "position": position},
        "found": found,
        "syntax": syntax_name(found.syntax),
        "flavour": checked.flavour_name if checked.flavour else _flavour(editing),
        "checked": checked,
        "by_line": _by_line(checked),
        "source_text": editing.source_text,
        "saves": editing.saves,
        "can_undo": editing.can_undo,
        "macros": macros.list_macros(),
        "preview": preview,
        "downloads": DOWNLOADS,
        "notice": notice,
        "error": error,
        "csrf_field": csrf.FIELD,
        "csrf_token": token,
    }
    response = context.templates.TemplateResponse(request, "editor.html", page, status_code=status)
    csrf.remember(response, token, secure=request.url.scheme == "https")
    return response


def _flavour(editing: EditSession) -> str:
    """The saved version's flavour, for a page whose typed text cannot be read."""
    return detect(editing.current.record).value


def _by_line(checked: Checked) -> dict[int, list[str]]:
    lines: dict[int, list[str]] = {}
    for problem in checked.problems:
        if problem.line is not None:
            lines.setdefault(problem.line, []).append(problem.severity)
    return lines


def _checked_json(checked: Checked) -> dict[str, object]:
    return {
        "readable": checked.record is not None,
        "flavour": checked.flavour_name,
        "savable": checked.savable,
        "errors": checked.errors,
        "warnings": checked.warnings,
        "problems": [
            {
                "line": problem.line,
                "severity": problem.severity,
                "where": problem.where,
                "message": problem.message,
            }
            for problem in checked.problems
        ],
        "fields": [
            {
                "line": row.line,
                "tag": row.tag,
                "indicators": row.indicators,
                "subfields": [list(pair) for pair in row.subfields],
                "data": row.data,
                "name": row.name,
            }
            for row in checked.fields
        ],
    }


def _status(checked: Checked) -> int:
    return 200 if checked.savable else 422


async def _form_text(request: Request) -> str:
    form = await request.form()
    text = form.get("text")
    if not isinstance(text, str):
        raise HTTPException(400, "The form sent no record text.")
    return normalised(_bounded(text))


async def _json_text(request: Request) -> str:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, "The body is not JSON.") from None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise HTTPException(400, 'Send {"text": "..."}: the record as mnemonic text.')
    return _bounded(text)


def _bounded(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise HTTPException(413, f"A record's text has at most {MAX_TEXT:,} characters.")
    return text


def _written(record: pymarc.Record, value: str) -> bytes:
    """The record written in the download format ``value``. A record whose leader/09 the
    cataloguer made blank holds MARC-8 bytes (``{acute}``-style names): it is decoded to
    Unicode first, as every writer expects."""
    if is_marc8(record):
        decoded = decode_marc(record.as_marc())
        if isinstance(decoded, MarcError):
            raise decoded
        record = decoded.record
    if value in {fmt.value for fmt in ExportFormat}:
        stream = io.BytesIO()
        export_records([record], ExportFormat(value), stream, errors="ncr")
        return stream.getvalue()
    if value == "ris":
        return bibexport.to_ris([record]).encode("utf-8")
    if value == "mods":
        return bibexport.to_mods_collection([record])
    return bibexport.to_bibtex([record]).encode("utf-8")


def _stem(editing: EditSession) -> str:
    control = editing.current.record.get_fields("001")
    name = (control[0].data or "").strip() if control else ""
    safe = "".join(c for c in name if c.isalnum() or c in "-_.")[:40]
    return f"shelfnet-edit-{safe or editing.key[2]}"
