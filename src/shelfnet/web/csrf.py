"""Cross-site request forgery protection for every form and cookie-authenticated API call.

A signed-in user's forms carry the CSRF token of their sign-on (``ill.signon``); the sign-in
forms themselves, before there is a sign-on, use a double-submit cookie: a random token in a
``SameSite=Strict`` cookie that the form must repeat. Either way a page on another site can
neither read the token nor make the browser send it, so it cannot post on the user's behalf.
Tokens are compared in constant time. API scripts that sign in with an API key (a bearer
token, never sent automatically by browsers) need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from fastapi.responses import Response

FIELD = "csrf_token"
"""The hidden form field."""
HEADER = "X-CSRF-Token"
"""The header for API calls from a signed-in browser."""
COOKIE = "shelfnet_csrf"
"""The double-submit cookie of forms shown before sign-in."""

REFUSED = "The form has expired or did not come from this site: reload the page and try again."


def anonymous_token(request: Request) -> str:
    """The double-submit token for a form shown before sign-in (the cookie's, or a new one
    that `remember` must then set)."""
    token = request.cookies.get(COOKIE, "")
    return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(32)


def remember(response: Response, token: str, *, secure: bool) -> None:
    """Set the double-submit cookie on the response showing the form."""
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=12 * 3600
    )


def matches(expected: str, given: str | None) -> bool:
    """Whether a sent token is the expected one (constant time; empty never matches)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def sent_token(request: Request) -> str | None:
    """The token a request sends back: its header, else its form field."""
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: Request, expected: str) -> None:
    """Refuse the request (403) unless it sends back ``expected``."""
    if not matches(expected, await sent_token(request)):
        raise HTTPException(403, REFUSED)


async def check_anonymous(request: Request) -> None:
    """Refuse a pre-sign-in form post (403) unless it repeats its double-submit cookie."""
    await check(request, request.cookies.get(COOKIE, ""))
