"""Sign-in against a SirsiDynix Symphony ILS through Symphony Web Services (ILSWS).

Two requests, JSON both ways, every request carrying ``x-sirs-clientID`` and
``SD-Originating-App-Id``:

1. ``POST {base}/user/patron/login`` with ``{"login": barcode, "password": pin}`` answers
   ``{"patronKey": ..., "sessionToken": ...}``; wrong credentials answer HTTP 401 with
   ``{"messageList": [{"code": "unableToLogin", "message": ...}]}``.
2. ``GET {base}/user/patron/key/{patronKey}?includeFields=...`` with the
   ``x-sirs-sessionToken`` header answers ``{"resource": "/user/patron", "key": ...,
   "fields": {...}}``: ``standing`` (``{"key": "OK" | "DELINQUENT" | "BARRED" |
   "BLOCKED"}``), ``privilegeExpiresDate`` (``2027-06-30`` or null), ``profile``
   (``{"key": "FACULTY"}``), ``library``, names, ``barcode``, and ``address1`` (a list of
   ``{"fields": {"code": {"key": "EMAIL"}, "data": "..."}}``) for the e-mail address.

Field names beyond these are assumptions, see docs/ill-auth.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from shelfnet.ill.auth import http
from shelfnet.ill.auth.base import (
    AccountBlocked,
    Endpoint,
    Identity,
    InvalidCredentials,
    ProviderUnavailable,
    check_input,
    refuse_if_expired,
)

INCLUDE_FIELDS = (
    "barcode",
    "firstName",
    "lastName",
    "displayName",
    "profile",
    "library",
    "privilegeExpiresDate",
    "standing",
    "address1",
    "department",
)


@dataclass(frozen=True)
class SymphonySettings:
    base_url: str
    """The ILSWS root, e.g. ``https://ils.example.edu/symws``."""
    client_id: str
    app_id: str = "shelfnet"
    name: str = "symphony"
    verify: bool = True
    ca_file: str = ""
    timeout: float = 10.0
    blocked_standings: tuple[str, ...] = ("BARRED", "BLOCKED")
    """Standings that refuse sign-in; add ``DELINQUENT`` to refuse patrons owing fines."""
    invalid_login_codes: tuple[str, ...] = ("unableToLogin",)
    """401 message codes that mean wrong barcode or PIN. Any other refusal (a client ID the
    server does not know, say) is a configuration fault: sign-in is unavailable."""
    include_fields: tuple[str, ...] = INCLUDE_FIELDS
    email_address_code: str = "EMAIL"

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url: expected http(s)://host/path, not {self.base_url!r}")
        if not self.client_id:
            raise ValueError("client_id: required (the x-sirs-clientID Symphony issued)")


class SymphonyProvider:
    """Barcode + PIN sign-in through Symphony Web Services."""

    def __init__(
        self,
        settings: SymphonySettings,
        *,
        today: Callable[[], date] = date.today,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._today = today
        self._transport = transport

    @property
    def name(self) -> str:
        return self.settings.name

    def ports(self) -> list[Endpoint]:
        s = self.settings
        return [http.endpoint(s.base_url, f"ILL sign-in: Symphony {s.name!r}")]

    async def authenticate(self, username: str, password: str) -> Identity:
        check_input(username, password)
        async with self._client() as client:
            patron_key, token = await self._login(client, username.strip(), password)
            patron = await self._patron(client, patron_key, token)
        identity = self._identity(username.strip(), patron_key, patron)
        if identity.patron_status.upper() in {s.upper() for s in self.settings.blocked_standings}:
            raise AccountBlocked(f"standing {identity.patron_status}")
        refuse_if_expired(identity.expires, self._today())
        return identity

    def _client(self) -> httpx.AsyncClient:
        s = self.settings
        return http.client(
            s.base_url.rstrip("/") + "/",
            verify=s.verify,
            ca_file=s.ca_file,
            timeout=s.timeout,
            transport=self._transport,
            headers={
                "x-sirs-clientID": s.client_id,
                "SD-Originating-App-Id": s.app_id,
                "Accept": "application/json",
            },
        )

    async def _login(self, client: httpx.AsyncClient, barcode: str, pin: str) -> tuple[str, str]:
        response = await self._send(
            client, "POST", "user/patron/login", json={"login": barcode, "password": pin}
        )
        if response.status_code in (400, 401, 403):
            codes = _message_codes(_json(response, self.name))
            if response.status_code == 401 and set(codes) & set(self.settings.invalid_login_codes):
                raise InvalidCredentials
            raise ProviderUnavailable(
                self.name, f"login refused with HTTP {response.status_code} {codes}"
            )
        body = self._ok(response)
        key, token = body.get("patronKey"), body.get("sessionToken")
        if not isinstance(key, str | int) or not isinstance(token, str) or not token:
            raise ProviderUnavailable(self.name, "login answer lacks patronKey/sessionToken")
        return str(key), token

    async def _patron(
        self, client: httpx.AsyncClient, patron_key: str, token: str
    ) -> Mapping[str, Any]:
        response = await self._send(
            client,
            "GET",
            f"user/patron/key/{quote(patron_key, safe='')}",
            params={"includeFields": ",".join(self.settings.include_fields)},
            headers={"x-sirs-sessionToken": token},
        )
        fields = self._ok(response).get("fields")
        if not isinstance(fields, dict):
            raise ProviderUnavailable(self.name, "patron answer has no fields")
        return fields

    async def _send(
        self, client: httpx.AsyncClient, method: str, path: str, **options: Any
    ) -> httpx.Response:
        try:
            return await client.request(method, path, **options)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(self.name, f"{type(error).__name__}: {error}") from error

    def _ok(self, response: httpx.Response) -> Mapping[str, Any]:
        if response.status_code != 200:
            raise ProviderUnavailable(self.name, f"HTTP {response.status_code}")
        return _json(response, self.name)

    def _identity(self, barcode: str, key: str, fields: Mapping[str, Any]) -> Identity:
        first, last = _text(fields.get("firstName")), _text(fields.get("lastName"))
        return Identity(
            provider=self.name,
            external_id=key,
            username=barcode,
            display_name=_text(fields.get("displayName")) or f"{first} {last}".strip(),
            first_name=first,
            last_name=last,
            email=self._email(fields.get("address1")),
            barcode=_text(fields.get("barcode")) or barcode,
            patron_type=_key(fields.get("profile")),
            patron_status=_key(fields.get("standing")),
            department=_text(fields.get("department")),
            expires=_date(fields.get("privilegeExpiresDate")),
            attributes={"library": (_key(fields.get("library")),)} if fields.get("library") else {},
        )

    def _email(self, addresses: Any) -> str:
        for entry in addresses if isinstance(addresses, list) else []:
            fields = entry.get("fields", {}) if isinstance(entry, dict) else {}
            if (
                isinstance(fields, dict)
                and _key(fields.get("code")) == self.settings.email_address_code
            ):
                return _text(fields.get("data"))
        return ""


def _json(response: httpx.Response, provider: str) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise ProviderUnavailable(provider, f"not JSON (HTTP {response.status_code})") from error
    if not isinstance(body, dict):
        raise ProviderUnavailable(provider, "JSON answer is not an object")
    return body


def _message_codes(body: Mapping[str, Any]) -> list[str]:
    messages = body.get("messageList")
    return [
        str(m.get("code", "")) for m in (messages if isinstance(messages, list) else [])
        if isinstance(m, dict)
    ]  # fmt: skip


def _key(value: Any) -> str:
    """``{"resource": "/policy/...", "key": "OK"}`` -> ``OK``."""
    if isinstance(value, dict):
        return _text(value.get("key"))
    return _text(value)


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int) else ""


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None
