"""Sign-in against an Innovative (III) Millennium/Sierra ILS through its PatronAPI.

PatronAPI is plain HTTP GET with answers in an HTML-ish body, one ``KEY=value<BR>`` a line:

* ``{base}/PATRONAPI/{barcode}/{pin}/pintest`` -> ``RETCOD=0<BR>`` when the PIN is right,
  else ``RETCOD=1<BR>`` with ``ERRNUM=4<BR>`` and ``ERRMSG=Invalid patron PIN<BR>`` (an
  unknown barcode answers the same way, or ``ERRNUM=1 ... Requested record not found``);
* ``{base}/PATRONAPI/{barcode}/dump`` -> the patron record, fields as
  ``LABEL[code]=value<BR>``: ``P TYPE[p47]=3``, ``EXP DATE[p43]=12-31-27`` (MM-DD-YY),
  ``MBLOCK[p56]=-``, ``MONEY OWED[p96]=$12.50``, ``PATRN NAME[pn]=Smith, Jane``,
  ``EMAIL ADDR[pz]=...``, ``P BARCODE[pb]=...``, ``HOME LIBR[p53]=...``,
  ``REC INFO[p!]=p1234567``.

The service usually listens on port 4500 (http), on some systems 54620 (https): the base
URL names scheme, host and port. The barcode and PIN travel in the URL path: they are
percent-encoded, and a barcode or PIN holding ``/`` (or being ``.``/``..``) is refused
before any request, since servers and proxies decode ``%2F`` back into a path separator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
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

DEFAULT_PORT = 4500
_LINE_BREAK = re.compile(r"<\s*br\s*/?\s*>|\r?\n", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_FIELD = re.compile(r"^(?P<label>[^=\[\]]*?)\s*(?:\[(?P<code>[^\]]*)\])?\s*=(?P<value>.*)$")


class PatronApiParseError(ProviderUnavailable):
    """The answer is not a PatronAPI body."""


@dataclass(frozen=True)
class PatronApiField:
    label: str
    """``P TYPE``, ``RETCOD``..."""
    code: str
    """``p47``; empty for ``RETCOD``, ``ERRNUM``, ``ERRMSG``."""
    value: str


@dataclass(frozen=True)
class PatronApiRecord:
    """A parsed PatronAPI answer: its fields in order, repeated labels kept."""

    fields: tuple[PatronApiField, ...]

    def get(self, key: str, default: str = "") -> str:
        """The first value whose label or code is ``key`` (labels compared ignoring case)."""
        values = self.all(key)
        return values[0] if values else default

    def all(self, key: str) -> tuple[str, ...]:
        wanted = key.strip().casefold()
        return tuple(
            f.value for f in self.fields if wanted in (f.label.casefold(), f.code.casefold())
        )

    @property
    def error(self) -> tuple[str, str]:
        """``(ERRNUM, ERRMSG)``; empty strings when the answer holds no error."""
        return self.get("ERRNUM"), self.get("ERRMSG")


def parse_body(text: str, provider: str = "patronapi") -> PatronApiRecord:
    """Parse a PatronAPI answer. Lines without ``=`` (HTML scaffolding) are skipped; a
    body with no field at all raises :class:`PatronApiParseError`."""
    found: list[PatronApiField] = []
    for line in _LINE_BREAK.split(text):
        line = _TAG.sub("", line).strip()
        match = _FIELD.match(line)
        if match is None or not match["label"].strip():
            continue
        found.append(
            PatronApiField(match["label"].strip(), (match["code"] or "").strip(), match["value"])
        )
    if not found:
        raise PatronApiParseError(provider, f"not a PatronAPI answer: {text[:120]!r}")
    return PatronApiRecord(tuple(found))


def parse_expiry(text: str) -> date | None:
    """``MM-DD-YY`` (``12-31-27``) or ``MM-DD-YYYY``; None for a blank (``  -  -  ``) or
    unreadable date. Two-digit years are 20YY (PatronAPI has no earlier expiry to give)."""
    parts = text.strip().split("-")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        return None
    month, day, year = (int(p) for p in parts)
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_money(text: str) -> Decimal:
    """``$12.50`` -> 12.50; other currency signs and thousands separators are ignored."""
    digits = re.sub(r"[^0-9.\-]", "", text)
    try:
        return Decimal(digits) if digits else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


@dataclass(frozen=True)
class PatronApiSettings:
    base_url: str
    """``http://ils.example.edu:4500`` or ``https://ils.example.edu:54620``."""
    name: str = "patronapi"
    verify: bool = True
    ca_file: str = ""
    timeout: float = 10.0
    max_money_owed: Decimal | None = None
    """Block sign-in when MONEY OWED is above this; None ignores fines."""
    honour_mblock: bool = True
    """Block sign-in when MBLOCK[p56] is set (anything but ``-``)."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url: expected http(s)://host:port, not {self.base_url!r}")


class PatronApiProvider:
    """Barcode + PIN sign-in through III PatronAPI (``pintest``, then ``dump``)."""

    def __init__(
        self,
        settings: PatronApiSettings,
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
        return [http.endpoint(s.base_url, f"ILL sign-in: PatronAPI {s.name!r}")]

    async def authenticate(self, username: str, password: str) -> Identity:
        check_input(username, password)
        barcode, pin = username.strip(), password
        for part in (barcode, pin):
            if "/" in part or "\\" in part or part in (".", ".."):
                raise InvalidCredentials
        async with self._client() as client:
            pintest = await self._get(client, f"{_segment(barcode)}/{_segment(pin)}/pintest")
            if pintest.get("RETCOD") != "0":
                if not pintest.get("RETCOD") and not pintest.get("ERRNUM"):
                    raise PatronApiParseError(self.name, "pintest answer has no RETCOD")
                raise InvalidCredentials
            record = await self._get(client, f"{_segment(barcode)}/dump")
        if record.get("ERRNUM"):
            # The PIN was right a moment ago: a record that vanished is the server's fault.
            raise ProviderUnavailable(self.name, f"dump failed: {record.error}")
        identity = self._identity(barcode, record)
        self._refuse_if_blocked(record)
        refuse_if_expired(identity.expires, self._today())
        return identity

    def _client(self) -> httpx.AsyncClient:
        s = self.settings
        return http.client(
            s.base_url.rstrip("/") + "/PATRONAPI/",
            verify=s.verify,
            ca_file=s.ca_file,
            timeout=s.timeout,
            transport=self._transport,
        )

    async def _get(self, client: httpx.AsyncClient, path: str) -> PatronApiRecord:
        try:
            response = await client.get(path)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(self.name, f"{type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise ProviderUnavailable(self.name, f"HTTP {response.status_code}")
        return parse_body(response.text, self.name)

    def _refuse_if_blocked(self, record: PatronApiRecord) -> None:
        s = self.settings
        mblock = record.get("p56", "-").strip()
        if s.honour_mblock and mblock not in ("", "-"):
            raise AccountBlocked(f"manual block {mblock!r}")
        owed = parse_money(record.get("p96", "0"))
        if s.max_money_owed is not None and owed > s.max_money_owed:
            raise AccountBlocked(f"fines of {owed} over the limit of {s.max_money_owed}")

    def _identity(self, barcode: str, record: PatronApiRecord) -> Identity:
        name = record.get("pn")
        last, _, first = name.partition(",")
        attributes: dict[str, tuple[str, ...]] = {}
        for f in record.fields:
            key = f"{f.label}[{f.code}]" if f.code else f.label
            attributes[key] = (*attributes.get(key, ()), f.value)
        return Identity(
            provider=self.name,
            external_id=record.get("p!") or record.get("RECORD #") or barcode,
            username=barcode,
            display_name=f"{first.strip()} {last.strip()}".strip(),
            first_name=first.strip(),
            last_name=last.strip(),
            email=record.get("pz").strip(),
            barcode=record.get("pb").strip() or barcode,
            patron_type=record.get("p47").strip(),
            patron_status=record.get("p56").strip(),
            department=record.get("p53").strip(),
            expires=parse_expiry(record.get("p43")),
            attributes=attributes,
        )


def _segment(text: str) -> str:
    return quote(text, safe="")
