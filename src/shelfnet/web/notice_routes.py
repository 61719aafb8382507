"""The notice pages for staff, at ``/staff/notices``: the templates, an editor with a preview
against a real transaction, and the outbox (queued, sent, failed, skipped) with "retry now".

Any staff member may look; only administrators change templates or retry notices
(``admin_changing``: CSRF token checked). The pages read the notice settings (library name,
links, mail server) that ``configure`` put in the app's state; without them, the defaults.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from shelfnet.config import IllSettings, NoticeSettings, SmtpSettings
from shelfnet.ill.model import StaffRole
from shelfnet.ill.notices.model import VARIABLES, NoticeState
from shelfnet.ill.notices.outbox import Outbox
from shelfnet.ill.notices.rendering import Rendered, TemplateProblem
from shelfnet.ill.notices.sender import configured, problems
from shelfnet.ill.store import UnknownRecord
from shelfnet.web.ill_access import IllWeb, SignedInStaff, admin_changing, staff_reading

router = APIRouter()

_STATE = "notice_settings"


def configure(app: Any, ill: IllSettings) -> None:
    """Give the pages the ``[ill.notices]`` and ``[ill.smtp]`` settings."""
    setattr(app.state, _STATE, (ill.notices, ill.smtp))


def _settings(request: Request) -> tuple[NoticeSettings, SmtpSettings]:
    found: tuple[NoticeSettings, SmtpSettings] | None = getattr(request.app.state, _STATE, None)
    return found or (NoticeSettings(), SmtpSettings())


def _outbox(request: Request) -> Outbox:
    ill: IllWeb = request.app.state.ill
    notices, _smtp = _settings(request)
    return Outbox(ill.store, notices, clock=ill.clock)


def _page(
    request: Request, name: str, who: SignedInStaff, context: dict[str, Any], status: int = 200
) -> Response:
    response: Response = request.app.state.context.templates.TemplateResponse(
        request,
        name,
        {
            **context,
            "who": who,
            "is_admin": who.user.role is StaffRole.ADMIN,
            "csrf_token": who.signon.csrf if who.signon else "",
        },
        status_code=status,
    )
    return response


def _sending(request: Request) -> str:
    notices, smtp = _settings(request)
    found = problems(smtp)
    if found:
        return "Notices are queued but not sent: " + " ".join(found)
    if not configured(smtp):
        return "Notices are queued but not sent: no mail server is configured ([ill.smtp])."
    if not notices.enabled:
        return "Notices are queued but not sent: sending is off ([ill.notices] enabled)."
    return f"Notices are sent through {smtp.host}:{smtp.port}."


@router.get("/staff/notices", name="staff_notices")
async def notices_page(
    request: Request, who: Annotated[SignedInStaff, Depends(staff_reading)]
) -> Response:
    outbox = _outbox(request)
    ill: IllWeb = request.app.state.ill

    def read() -> tuple[Any, Any]:
        outbox.prepare()
        return outbox.templates(), outbox.counts()

    templates, counts = await ill.run(lambda _store: read())
    return _page(
        request,
        "staff/notices.html",
        who,
        {"templates": templates, "counts": counts, "sending": _sending(request)},
    )


async def _editor(
    request: Request,
    who: SignedInStaff,
    template_id: int,
    *,
    subject: str | None = None,
    body: str | None = None,
    active: bool | None = None,
    transaction: str = "",
    preview: Rendered | None = None,
    errors: list[str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    outbox = _outbox(request)
    ill: IllWeb = request.app.state.ill
    try:
        template = await ill.run(lambda _store: outbox.get_template(template_id))
    except UnknownRecord as exc:
        raise HTTPException(404, f"There is no notice template {template_id}.") from exc
    return _page(
        request,
        "staff/notices_template.html",
        who,
        {
            "template": template,
            "subject": template.subject if subject is None else subject,
            "body": template.body if body is None else body,
            "active": template.active if active is None else active,
            "transaction": transaction,
            "preview": preview,
            "errors": errors or [],
            "messages": ["The template was saved."] if saved else [],
            "variables": VARIABLES,
        },
        status,
    )


@router.get("/staff/notices/templates/{template_id}", name="staff_notice_template")
async def template_page(
    request: Request,
    template_id: int,
    who: Annotated[SignedInStaff, Depends(staff_reading)],
    transaction: str = "",
    saved: bool = False,
) -> Response:
    preview = None
    errors: list[str] = []
    if transaction.strip():
        outbox = _outbox(request)
        ill: IllWeb = request.app.state.ill
        template = await ill.run(lambda _store: _template_or_404(outbox, template_id))
        preview, errors = await _preview(
            request, outbox, template.subject, template.body, transaction
        )
    return await _editor(
        request,
        who,
        template_id,
        transaction=transaction,
        preview=preview,
        errors=errors,
        saved=saved,
        status=400 if errors else 200,
    )


def _template_or_404(outbox: Outbox, template_id: int) -> Any:
    try:
        return outbox.get_template(template_id)
    except UnknownRecord as exc:
        raise HTTPException(404, f"There is no notice template {template_id}.") from exc


async def _preview(
    request: Request, outbox: Outbox, subject: str, body: str, transaction: str
) -> tuple[Rendered | None, list[str]]:
    if not transaction.strip().isdigit():
        return None, ["Give a transaction number to preview with."]
    ill: IllWeb = request.app.state.ill
    number = int(transaction.strip())
    try:
        rendered = await ill.run(lambda _store: outbox.preview(subject, body, number))
    except UnknownRecord as exc:
        return None, [f"No preview: {exc}."]
    except TemplateProblem as exc:
        return None, exc.problems
    return rendered, []


@router.post("/staff/notices/templates/{template_id}")
async def save_template(
    request: Request,
    template_id: int,
    who: Annotated[SignedInStaff, Depends(admin_changing)],
    subject: Annotated[str, Form(max_length=1000)] = "",
    body: Annotated[str, Form(max_length=40_000)] = "",
    active: Annotated[str, Form(max_length=10)] = "",
    transaction: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    outbox = _outbox(request)
    ill: IllWeb = request.app.state.ill
    is_active = bool(active)
    shown = {"subject": subject, "body": body, "active": is_active, "transaction": transaction}
    if action == "preview":
        preview, errors = await _preview(request, outbox, subject, body, transaction)
        return await _editor(
            request,
            who,
            template_id,
            **shown,  # type: ignore[arg-type]
            preview=preview,
            errors=errors,
            status=400 if errors else 200,
        )
    try:
        await ill.run(
            lambda _store: outbox.save_template(
                template_id, subject, body, active=is_active, by=who.user.username
            )
        )
    except UnknownRecord as exc:
        raise HTTPException(404, f"There is no notice template {template_id}.") from exc
    except TemplateProblem as exc:
        return await _editor(
            request,
            who,
            template_id,
            **shown,  # type: ignore[arg-type]
            errors=exc.problems,
            status=400,
        )
    return RedirectResponse(f"/staff/notices/templates/{template_id}?saved=1", status_code=303)


@router.get("/staff/notices/outbox", name="staff_notice_outbox")
async def outbox_page(
    request: Request,
    who: Annotated[SignedInStaff, Depends(staff_reading)],
    state: str = "",
    transaction: str = "",
) -> Response:
    chosen = next((s for s in NoticeState if s.value == state), None)
    number = int(transaction) if transaction.strip().isdigit() else None
    outbox = _outbox(request)
    ill: IllWeb = request.app.state.ill

    def read() -> tuple[Any, Any]:
        return outbox.notices(chosen, transaction_id=number, limit=200), outbox.counts()

    notices, counts = await ill.run(lambda _store: read())
    return _page(
        request,
        "staff/notices_outbox.html",
        who,
        {
            "notices": notices,
            "counts": counts,
            "state": chosen,
            "states": list(NoticeState),
            "transaction": transaction,
            "sending": _sending(request),
        },
    )


@router.post("/staff/notices/outbox/{notice_id}/retry", name="staff_notice_retry")
async def retry_notice(
    request: Request, notice_id: int, who: Annotated[SignedInStaff, Depends(admin_changing)]
) -> Response:
    outbox = _outbox(request)
    ill: IllWeb = request.app.state.ill
    if not await ill.run(lambda _store: outbox.retry_now(notice_id)):
        raise HTTPException(409, "That notice was sent or skipped: it cannot be sent again.")
    return RedirectResponse("/staff/notices/outbox?state=queued", status_code=303)
