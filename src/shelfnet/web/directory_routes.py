"""The directory pages: read-only views of the target directory.

GET /directory                    targets: text search, status and group filters, paged
GET /directory/targets/{id}       one target and its probe history from every prober
GET /directory/ports              the ports the targets listen on

The store is synchronous (SQLAlchemy), so every read runs in a worker thread. When no
directory has been made yet the pages say so. Every directory value is rendered as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from shelfnet.directory.model import ProbeResult, StoredTarget, TargetStatus
from shelfnet.directory.ports import PortUse, port_table
from shelfnet.directory.store import DirectoryStore, UnknownTarget
from shelfnet.web.app import WebContext

PAGE_SIZE = 50
MAX_QUERY = 200
PROBES_SHOWN = 100

router = APIRouter(prefix="/directory")


@dataclass(frozen=True)
class Browse:
    targets: list[StoredTarget]
    total: int
    groups: list[tuple[str, int]]


def get_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


Context = Annotated[WebContext, Depends(get_context)]


@router.get("", name="directory_page")
async def directory_page(
    request: Request,
    context: Context,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    status: TargetStatus | None = None,
    group: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    query = q.strip()

    def browse(store: DirectoryStore) -> Browse:
        found = store.targets(group=group or None, status=status, search=query or None)
        start = (page - 1) * PAGE_SIZE
        return Browse(found[start : start + PAGE_SIZE], len(found), store.groups())

    found = await context.directory.read(browse)
    pages = 1 if found is None else max(1, math.ceil(found.total / PAGE_SIZE))
    values = {
        "found": found,
        "q": query,
        "status": status.value if status else "",
        "group": group,
        "page": page,
        "pages": pages,
        "statuses": [s.value for s in TargetStatus],
    }
    return _page(request, context, "directory_targets.html", "Directory", values)


@router.get("/targets/{target_id}", name="directory_target")
async def directory_target(request: Request, context: Context, target_id: int) -> Response:
    def detail(store: DirectoryStore) -> tuple[StoredTarget, list[ProbeResult]] | UnknownTarget:
        try:
            return store.get(target_id), store.probes(target_id, PROBES_SHOWN)
        except UnknownTarget as exc:
            return exc

    found = await context.directory.read(detail)
    if isinstance(found, UnknownTarget):
        raise HTTPException(404, f"The directory has no target {target_id}.")
    stored, probes = found if found is not None else (None, [])
    title = stored.target.label if stored is not None else "Directory"
    values = {"stored": stored, "probes": probes, "shown": PROBES_SHOWN}
    return _page(request, context, "directory_target.html", title, values)


@router.get("/ports", name="directory_ports")
async def directory_ports(request: Request, context: Context) -> Response:
    rows: list[PortUse] | None = await context.directory.read(port_table)
    return _page(request, context, "directory_ports.html", "Ports", {"rows": rows})


def _page(
    request: Request, context: WebContext, template: str, title: str, values: Mapping[str, object]
) -> Response:
    every = {"title": title, **values}
    return context.templates.TemplateResponse(request, template, every)
