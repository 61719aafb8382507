"""The copy-cataloguing search pages: form, live results, record and cluster views, downloads.

GET  /                                        the search form
POST /search                                  start a search; 303 to its page
GET  /search/{id}                             statuses and ranked clusters (live with JS)
GET  /search/{id}/events                      Server-Sent Events while targets answer
GET  /search/{id}/clusters/{number}           the cluster's records side by side
GET  /search/{id}/records/{target}/{position} one record: labelled, MARC, quality score
GET  /search/{id}/download?cluster=N&format=F the chosen clusters' best records
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from markupsafe import Markup

from shelfnet.marc.errors import MarcError
from shelfnet.marc.export import ExportFormat
from shelfnet.marc.quality import score_record
from shelfnet.marc.text import to_mnemonic
from shelfnet.search.rank import RankedCluster
from shelfnet.web import downloads, stream, views
from shelfnet.web.app import WebContext
from shelfnet.web.forms import LANGUAGES, SearchForm, SearchRequest, check
from shelfnet.web.labels import compare, labelled
from shelfnet.web.sessions import SearchSession
from shelfnet.z3950.oids import syntax_name

router = APIRouter()


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


Context = Annotated[WebContext, Depends(get_context)]


@router.get("/", name="search_page")
async def search_page(request: Request, context: Context) -> Response:
    every_target = tuple(context.targets.targets)
    return _form_page(request, context, SearchForm(targets=every_target))


@router.post("/search", name="start_search")
async def start_search(request: Request, context: Context) -> Response:
    submitted = await request.form()
    fields = {
        key: [value for value in submitted.getlist(key) if isinstance(value, str)]
        for key in submitted
    }
    checked = check(SearchForm.from_fields(fields), context.targets)
    if not isinstance(checked, SearchRequest):
        return _form_page(request, context, checked, status=400)
    session = context.store.start(checked.query, checked.targets)
    return RedirectResponse(request.url_for("results", session_id=session.id), status_code=303)


@router.get("/search/{session_id}", name="results")
async def results(request: Request, session_id: str, context: Context) -> Response:
    return _results_page(request, context, _session(context, session_id))


@router.get("/search/{session_id}/events", name="events")
async def events(request: Request, session_id: str, context: Context) -> StreamingResponse:
    session = _session(context, session_id)

    def render(current: SearchSession) -> dict[str, object]:
        return _fragments(request, context, current)

    return StreamingResponse(
        stream.updates(session, render, context.stream_interval),
        media_type=stream.MEDIA_TYPE,
        headers=stream.HEADERS,
    )


@router.get("/search/{session_id}/clusters/{number}", name="cluster")
async def cluster(request: Request, session_id: str, number: int, context: Context) -> Response:
    session = _session(context, session_id)
    item = _ranked_cluster(session, number)
    records = [scored.found.record for scored in item.records]
    page = {
        "session": session,
        "title": views.cluster_row(session, 0, item).title,
        "item": item,
        "refs": [views.record_ref(session, scored) for scored in item.records],
        "compared": compare(records),
    }
    return context.templates.TemplateResponse(request, "cluster.html", page)


@router.get("/search/{session_id}/records/{target}/{position}", name="record")
async def record(
    request: Request, session_id: str, target: int, position: int, context: Context
) -> Response:
    session = _session(context, session_id)
    found = None
    if 0 <= target < len(session.targets):
        found = session.record(session.targets[target].name, position)
    if found is None:
        raise HTTPException(404, f"This search has no record {position} from target {target}.")
    page = {
        "session": session,
        "found": found,
        "cluster_number": views.cluster_number(session, found),
        "control_number": views.control_number(found),
        "syntax": syntax_name(found.syntax),
        "labelled": labelled(found.record),
        "mnemonic": to_mnemonic(found.record),
        "score": score_record(found.record, session.weights),
    }
    return context.templates.TemplateResponse(request, "record.html", page)


@router.get("/search/{session_id}/download", name="download")
async def download(
    request: Request,
    session_id: str,
    context: Context,
    cluster: Annotated[list[int] | None, Query()] = None,
    format: Annotated[str, Query()] = ExportFormat.MARC_UTF8.value,
) -> Response:
    session = _session(context, session_id)
    try:
        chosen = _chosen_clusters(session, cluster or [])
        made = downloads.best_records(chosen, _export_format(format), f"shelfnet-{session.id}")
    except (ValueError, MarcError) as exc:
        return _results_page(request, context, session, error=str(exc), status=400)
    disposition = f'attachment; filename="{made.filename}"'
    return Response(
        made.body, media_type=made.media_type, headers={"Content-Disposition": disposition}
    )


def _session(context: WebContext, session_id: str) -> SearchSession:
    session = context.store.get(session_id)
    if session is None:
        raise HTTPException(
            404,
            f"No search {session_id!r} is kept here (only the latest "
            f"{context.store.capacity} are): start it again from the search page.",
        )
    return session


def _ranked_cluster(session: SearchSession, number: int) -> RankedCluster:
    try:
        root = session.result.merger.cluster_of(number).number
    except KeyError:
        raise HTTPException(404, f"This search has no cluster {number}.") from None
    return next(item for item in session.ranked() if item.cluster.number == root)


def _chosen_clusters(session: SearchSession, numbers: list[int]) -> list[RankedCluster]:
    if not numbers:
        raise ValueError("Tick at least one cluster to download its best record.")
    merger = session.result.merger
    roots = set()
    for number in numbers:
        try:
            roots.add(merger.cluster_of(number).number)
        except KeyError:
            raise ValueError(f"This search has no cluster {number}.") from None
    return downloads.chosen(session.ranked(), roots)


def _export_format(name: str) -> ExportFormat:
    try:
        return ExportFormat(name)
    except ValueError:
        known = ", ".join(fmt.value for fmt, _, _ in downloads.FORMATS)
        raise ValueError(f"Unknown download format {name!r}: choose {known}.") from None


def _form_page(
    request: Request, context: WebContext, form: SearchForm, status: int = 200
) -> Response:
    page = {"form": form, "targets": context.targets, "languages": LANGUAGES}
    return context.templates.TemplateResponse(request, "search.html", page, status_code=status)


def _results_page(
    request: Request,
    context: WebContext,
    session: SearchSession,
    error: str = "",
    status: int = 200,
) -> Response:
    page = {
        "session": session,
        "error": error,
        "formats": downloads.FORMATS,
        **_fragments(request, context, session),
    }
    return context.templates.TemplateResponse(request, "results.html", page, status_code=status)


def _fragments(request: Request, context: WebContext, session: SearchSession) -> dict[str, object]:
    """The parts of the results page that change while the search runs, as HTML."""
    values = {
        "request": request,
        "session": session,
        "progress": views.progress(session),
        "statuses": views.status_rows(session, context.clock),
        "clusters": views.cluster_rows(session),
    }
    environment = context.templates.env
    return {
        name: Markup(environment.get_template(f"_{name}.html").render(values))
        for name in ("progress", "status", "clusters")
    }
