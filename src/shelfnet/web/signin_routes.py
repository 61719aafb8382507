"""Sign-in and sign-out pages for patrons (``/ill/signin``) and staff (``/staff/signin``).

One refusal message for every wrong username or password, the same for accounts that exist
and accounts that do not; throttled attempts say when to try again. The forms carry a
double-submit CSRF token (there is no sign-on yet to carry one).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from shelfnet.ill.auth.base import AuthError, ProviderUnavailable
from shelfnet.ill.auth.throttle import Throttled
from shelfnet.ill.signon import SignOnKind
from shelfnet.web import csrf
from shelfnet.web.ill_access import IllWeb, safe_next

router = APIRouter()

HOMES = {SignOnKind.PATRON: "/ill/", SignOnKind.STAFF: "/staff/"}
TITLES = {SignOnKind.PATRON: "Interlibrary loan: sign in", SignOnKind.STAFF: "ILL staff: sign in"}


def _ill(request: Request) -> IllWeb:
    ill: IllWeb = request.app.state.ill
    return ill


def _form(
    request: Request,
    kind: SignOnKind,
    next_url: str,
    *,
    username: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    token = csrf.anonymous_token(request)
    response: Response = request.app.state.context.templates.TemplateResponse(
        request,
        "ill/signin.html",
        {
            "title": TITLES[kind],
            "action": request.url.path,
            "next_url": safe_next(next_url, HOMES[kind]),
            "username": username,
            "error": error,
            "csrf_token": token,
            "audience": kind.value,
        },
        status_code=status,
    )
    csrf.remember(response, token, secure=_ill(request).secure_cookies)
    return response


async def _sign_in(
    request: Request, kind: SignOnKind, username: str, password: str, next_url: str
) -> Response:
    await csrf.check_anonymous(request)
    ill = _ill(request)
    address = request.client.host if request.client else ""
    try:
        if kind is SignOnKind.PATRON:
            name = (await ill.sign_in_patron(username, password, address)).username
        else:
            name = (await ill.sign_in_staff(username, password, address)).username
    except Throttled as exc:
        return _form(request, kind, next_url, username=username, error=exc.user_message, status=429)
    except ProviderUnavailable as exc:
        return _form(request, kind, next_url, username=username, error=exc.user_message, status=503)
    except AuthError as exc:
        return _form(request, kind, next_url, username=username, error=exc.user_message, status=401)
    response = RedirectResponse(safe_next(next_url, HOMES[kind]), status_code=303)
    await ill.run(lambda _store: ill.start(response, kind, name, request))
    return response


async def _sign_out(request: Request, kind: SignOnKind, everywhere: bool) -> Response:
    ill = _ill(request)
    signon = await ill.run(lambda _store: ill.signon(request, kind))
    if signon is not None:
        await csrf.check(request, signon.csrf)
    response = RedirectResponse(f"{HOMES[kind]}signin", status_code=303)
    if signon is not None and everywhere:
        await ill.run(lambda _store: ill.signons.end_all(kind, signon.username))
    await ill.run(lambda _store: ill.end(response, kind, request))
    return response


@router.get("/ill/signin", name="patron_signin")
def patron_signin_page(request: Request, next: str = "") -> Response:
    return _form(request, SignOnKind.PATRON, next)


@router.post("/ill/signin")
async def patron_signin(
    request: Request,
    username: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return await _sign_in(request, SignOnKind.PATRON, username.strip(), password, next)


@router.post("/ill/signout", name="patron_signout")
async def patron_signout(request: Request) -> Response:
    return await _sign_out(request, SignOnKind.PATRON, everywhere=False)


@router.post("/ill/signout-everywhere", name="patron_signout_everywhere")
async def patron_signout_everywhere(request: Request) -> Response:
    return await _sign_out(request, SignOnKind.PATRON, everywhere=True)


@router.get("/staff/signin", name="staff_signin")
def staff_signin_page(request: Request, next: str = "") -> Response:
    return _form(request, SignOnKind.STAFF, next)


@router.post("/staff/signin")
async def staff_signin(
    request: Request,
    username: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return await _sign_in(request, SignOnKind.STAFF, username.strip(), password, next)


@router.post("/staff/signout", name="staff_signout")
async def staff_signout(request: Request) -> Response:
    return await _sign_out(request, SignOnKind.STAFF, everywhere=False)


@router.post("/staff/signout-everywhere", name="staff_signout_everywhere")
async def staff_signout_everywhere(request: Request) -> Response:
    return await _sign_out(request, SignOnKind.STAFF, everywhere=True)
