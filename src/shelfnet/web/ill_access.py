"""The ILL side of the web app: its store, who is signed in, and how they sign in.

`IllWeb` is built once per app (``create_app(ill=...)``) and kept in the app's state. The
store is synchronous SQLAlchemy, so route handlers are plain ``def`` functions (FastAPI runs
them in its thread pool) or call `IllWeb.run` from async code; the event loop never waits on
the database.

Patrons and staff sign in separately, with separate cookies: a staff member who is also a
patron is one or the other in each request, never both by accident. Sign-in goes through the
configured providers (``[[ill.auth]]``, default: local accounts) behind a throttle; a patron
known to an external provider is created or updated from its profile on first sign-in, and
staff must also be listed as staff users (their role comes from there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.ill.auth.base import AuthError, Identity, InvalidCredentials
from shelfnet.ill.auth.chain import AuthChain, ConfiguredProvider, SignIn, providers_from_config
from shelfnet.ill.auth.local import LocalAccount, LocalProvider, LocalSettings
from shelfnet.ill.auth.mapping import PatronProfile
from shelfnet.ill.auth.throttle import Throttle
from shelfnet.ill.model import ClearedState, Patron, PatronStatus, StaffRole, StaffUser
from shelfnet.ill.signon import SignOn, SignOnKind, SignOns
from shelfnet.ill.store import IllStore
from shelfnet.web import csrf

if TYPE_CHECKING:
    from shelfnet.config import Settings

_T = TypeVar("_T")

PATRON_COOKIE = "shelfnet_patron"
STAFF_COOKIE = "shelfnet_staff"
COOKIES = {SignOnKind.PATRON: PATRON_COOKIE, SignOnKind.STAFF: STAFF_COOKIE}
SIGN_IN_PAGES = {SignOnKind.PATRON: "/ill/signin", SignOnKind.STAFF: "/staff/signin"}

BLOCKED = "Your account may not request interlibrary loans just now: please contact ILL staff."


class NotAllowed(AuthError):
    """The password was right, but this account may not use the pages."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class SignInRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the sign-in page (or
    401 for API calls)."""

    def __init__(self, kind: SignOnKind, next_url: str) -> None:
        super().__init__(kind.value)
        self.kind = kind
        self.next_url = next_url


@dataclass(frozen=True)
class SignedInPatron:
    signon: SignOn
    patron: Patron


@dataclass(frozen=True)
class SignedInStaff:
    signon: SignOn | None
    """None when the request came with an API key."""
    user: StaffUser

    @property
    def may_change(self) -> bool:
        return self.user.role is not StaffRole.READ_ONLY


class IllWeb:
    """Everything the ILL pages and the REST API share."""

    def __init__(
        self,
        store: IllStore,
        *,
        symbol: str = "SHELFNET",
        auth: Sequence[Mapping[str, Any]] = (),
        hours: float = 12,
        secure_cookies: bool = False,
        throttle: Throttle | None = None,
        min_failure_seconds: float = 0.5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.symbol = symbol
        self.secure_cookies = secure_cookies
        writes = store.write_engine
        self.signons = SignOns(store.engine, hours=hours, clock=clock, write_engine=writes)
        self.api_keys = ApiKeys(store.engine, clock=clock, write_engine=writes)
        self.clock = clock
        throttle = throttle or Throttle()
        patron_chain = AuthChain(self._patron_providers(auth))
        staff_chain = AuthChain(self._staff_providers(auth))
        self.patron_sign_in = SignIn(
            patron_chain, throttle, min_failure_seconds=min_failure_seconds
        )
        self.staff_sign_in = SignIn(staff_chain, throttle, min_failure_seconds=min_failure_seconds)

    # Providers: ``kind = "local"`` means the store's own accounts (patrons' or staff's).

    def _patron_providers(self, auth: Sequence[Mapping[str, Any]]) -> list[ConfiguredProvider]:
        if not auth:
            return [ConfiguredProvider(LocalProvider(self._patron_account))]
        return providers_from_config(auth, local_lookup=self._patron_account)

    def _staff_providers(self, auth: Sequence[Mapping[str, Any]]) -> list[ConfiguredProvider]:
        local = ConfiguredProvider(
            LocalProvider(self._staff_account, settings=LocalSettings("staff-local"))
        )
        others = [entry for entry in auth if entry.get("kind") != "local"]
        return [local, *providers_from_config(others)] if others else [local]

    async def _patron_account(self, username: str) -> LocalAccount | None:
        patron = await self.run(lambda store: store.find_patron(username))
        if patron is None or not patron.password_hash:
            return None
        return LocalAccount(patron.password_hash, email=patron.email)

    async def _staff_account(self, username: str) -> LocalAccount | None:
        user = await self.run(lambda store: store.get_staff(username))
        if user is None or not user.password_hash:
            return None
        return LocalAccount(user.password_hash, display_name=user.name, email=user.email)

    async def run(self, work: Callable[[IllStore], _T]) -> _T:
        """``work`` on the store, off the event loop."""
        return await asyncio.to_thread(work, self.store)

    # Signing in and out

    async def sign_in_patron(self, username: str, password: str, address: str) -> Patron:
        """The patron, created or updated from the provider's profile; raises `AuthError`
        with a message for the patron."""
        identity = await self.patron_sign_in.sign_in(username, password, address)
        profile = self.patron_sign_in.chain.profile(identity)
        patron = await self.run(lambda store: _patron_for(store, identity, profile))
        if profile.blocked or patron.cleared in (ClearedState.BLOCKED, ClearedState.DISAVOWED):
            raise NotAllowed(BLOCKED)
        return patron

    async def sign_in_staff(self, username: str, password: str, address: str) -> StaffUser:
        identity = await self.staff_sign_in.sign_in(username, password, address)
        user = await self.run(lambda store: store.get_staff(identity.username))
        if user is None:
            # Known to the campus directory, but not one of the ILL staff: the same answer
            # as a wrong password.
            raise InvalidCredentials
        return user

    def start(self, response: Response, kind: SignOnKind, username: str, request: Request) -> None:
        """Sign the browser in: a new sign-on and its cookie."""
        address = request.client.host if request.client else ""
        token, _signon = self.signons.start(
            kind, username, address=address, agent=request.headers.get("user-agent", "")
        )
        response.set_cookie(
            COOKIES[kind],
            token,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path="/",
        )

    def end(self, response: Response, kind: SignOnKind, request: Request) -> None:
        self.signons.end(request.cookies.get(COOKIES[kind]))
        response.delete_cookie(COOKIES[kind], path="/")

    # Who is asking

    def signon(self, request: Request, kind: SignOnKind) -> SignOn | None:
        signon = self.signons.find(request.cookies.get(COOKIES[kind]))
        return signon if signon is not None and signon.kind is kind else None

    def patron(self, request: Request) -> SignedInPatron:
        """The signed-in patron, or `SignInRequired`."""
        signon = self.signon(request, SignOnKind.PATRON)
        patron = self.store.find_patron(signon.username) if signon else None
        if signon is None or patron is None:
            raise SignInRequired(SignOnKind.PATRON, _here(request))
        return SignedInPatron(signon, patron)

    def staff(self, request: Request) -> SignedInStaff:
        """The signed-in staff user (by cookie or ``Authorization: Bearer`` API key), or
        `SignInRequired`."""
        key = _bearer(request)
        if key is not None:
            owner = self.api_keys.owner(key)
            user = self.store.get_staff(owner) if owner else None
            if user is None:
                raise HTTPException(401, "The API key is not valid.")
            return SignedInStaff(None, user)
        signon = self.signon(request, SignOnKind.STAFF)
        user = self.store.get_staff(signon.username) if signon else None
        if signon is None or user is None:
            raise SignInRequired(SignOnKind.STAFF, _here(request))
        return SignedInStaff(signon, user)

    async def check_csrf(self, request: Request, signon: SignOn | None) -> None:
        """Refuse (403) a change that does not send back the sign-on's CSRF token; API-key
        requests carry no cookie a browser could send by itself, so they need none."""
        if signon is not None:
            await csrf.check(request, signon.csrf)


def ill_from_settings(settings: Settings) -> IllWeb:
    """The ILL side as ``[ill]`` configures it, its database opened (and migrated)."""
    from shelfnet.ill.store import open_ill_store

    ill = settings.ill
    store = open_ill_store(settings.ill_location, lock_minutes=ill.lock_minutes)
    return IllWeb(
        store,
        symbol=ill.symbol,
        auth=ill.auth,
        hours=ill.session_hours,
        secure_cookies=ill.secure_cookies,
    )


SAMPLE_ACCOUNTS = "ill-sample-accounts.txt"


def fill_sample_accounts(store: IllStore, folder: Path) -> Path | None:
    """Fill an empty ILL store with the sample (patrons, staff ``admin``, partners,
    requests), each sample account with a new random password, written to a file only its
    owner may read. None when the store was not empty."""
    import secrets

    from shelfnet.ill.model import hash_password
    from shelfnet.ill.sample import STAFF, fill_sample

    password = secrets.token_urlsafe(9)
    if not fill_sample(store, admin_password=password):
        return None
    lines = [f"staff   {STAFF:<12} {password}   (sign in at /staff/signin)"]
    for patron in store.patrons():
        patron_password = secrets.token_urlsafe(9)
        store.update_patron(replace(patron, password_hash=hash_password(patron_password)))
        lines.append(f"patron  {patron.username:<12} {patron_password}   (sign in at /ill/signin)")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_ACCOUNTS
    path.touch(mode=0o600)
    path.write_text("shelfnet ILL sample accounts\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _patron_for(store: IllStore, identity: Identity, profile: PatronProfile) -> Patron:
    """The store's patron for a signed-in identity: created on first sign-in, its names,
    e-mail, status and department refreshed from an external provider afterwards."""
    patron = store.find_patron(identity.username)
    status = _status(profile.status)
    if patron is None:
        return store.create_patron(
            Patron(
                username=identity.username,
                first_name=profile.first_name,
                last_name=profile.last_name,
                email=profile.email,
                status=status or PatronStatus.UNDERGRADUATE,
                department=profile.department,
            )
        )
    if identity.provider in ("local", "staff-local") or identity.provider.startswith("local-"):
        return patron
    updated = replace(
        patron,
        first_name=profile.first_name or patron.first_name,
        last_name=profile.last_name or patron.last_name,
        email=profile.email or patron.email,
        status=status or patron.status,
        department=profile.department or patron.department,
    )
    return patron if updated == patron else store.update_patron(updated)


def _status(name: str) -> PatronStatus | None:
    try:
        return PatronStatus(name.strip().lower())
    except ValueError:
        return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def safe_next(next_url: str | None, default: str) -> str:
    """Where to go after signing in: only a path on this site (never ``//other.site``)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith(("//", "/\\")):
        return default
    return next_url


def sign_in_redirect(exc: SignInRequired) -> RedirectResponse:
    page = SIGN_IN_PAGES[exc.kind]
    return RedirectResponse(f"{page}?next={quote(exc.next_url, safe='')}", status_code=303)


# FastAPI dependencies: ``who: Annotated[SignedInPatron, Depends(patron_changing)]``.


def _ill(request: Request) -> IllWeb:
    ill: IllWeb = request.app.state.ill
    return ill


async def patron_reading(request: Request) -> SignedInPatron:
    """The signed-in patron, for pages that only show."""
    ill = _ill(request)
    return await ill.run(lambda _store: ill.patron(request))


async def patron_changing(request: Request) -> SignedInPatron:
    """The signed-in patron, for requests that change something: the CSRF token is checked."""
    who = await patron_reading(request)
    await _ill(request).check_csrf(request, who.signon)
    return who


async def staff_reading(request: Request) -> SignedInStaff:
    """The signed-in staff user (cookie or API key), for pages that only show."""
    ill = _ill(request)
    return await ill.run(lambda _store: ill.staff(request))


async def staff_changing(request: Request) -> SignedInStaff:
    """The signed-in staff user, for changes: CSRF token checked (cookie sign-ons), and
    read-only staff refused (403)."""
    who = await staff_reading(request)
    await _ill(request).check_csrf(request, who.signon)
    if not who.may_change:
        raise HTTPException(403, "Your staff account may look but not change anything.")
    return who


async def admin_changing(request: Request) -> SignedInStaff:
    """As `staff_changing`, for administrators only (partners, routing rules, staff)."""
    who = await staff_changing(request)
    if who.user.role is not StaffRole.ADMIN:
        raise HTTPException(403, "Only ILL administrators may change this.")
    return who
