"""Sign-in against a campus directory over LDAP (ldap3, run in a worker thread).

Two ways to find the patron's entry:

* **direct bind** -- ``bind_dn = "uid={username},ou=people,dc=example,dc=org"``: the
  username (escaped as an RDN value) goes into the template and the patron binds as that DN;
* **search, then bind** -- ``search_base`` and ``search_filter = "(uid={username})"``
  (the username escaped as a filter value): a service account (or an anonymous bind)
  searches for exactly one entry, then the patron binds as the DN found.

The directory verifies the password; shelfnet never reads it. After a successful bind:

* an entry outside ``allowed_base`` is refused as :class:`InvalidCredentials` (checked
  before the bind, so the directory is not even asked);
* ``allowed_filter`` and ``allowed_group`` must match, else :class:`InvalidCredentials`
  (to shelfnet, someone who may not use ILL has no account here);
* ``locked_filter`` (e.g. ``(pwdAccountLockedTime=*)`` or ``(shelfnetLocked=TRUE)``)
  must *not* match, else :class:`AccountBlocked`. A directory that refuses the bind of a
  locked account itself (ppolicy does, with result 49) gives :class:`InvalidCredentials`:
  the password could not be verified, so nothing more is said.

Entries are read with the service account in search-then-bind mode, and as the patron in
direct-bind mode: the ACLs must let that identity read the attributes the filters use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import ldap3  # type: ignore[import-untyped]
from ldap3.core.exceptions import LDAPException  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]
from ldap3.utils.dn import escape_rdn, parse_dn  # type: ignore[import-untyped]

from shelfnet.ill.auth.base import (
    AccountBlocked,
    Endpoint,
    Identity,
    InvalidCredentials,
    ProviderUnavailable,
    check_input,
    refuse_if_expired,
)

log = logging.getLogger(__name__)

SCOPES = {"base": ldap3.BASE, "one": ldap3.LEVEL, "subtree": ldap3.SUBTREE}
DEFAULT_PORTS = {"ldap": 389, "ldaps": 636}

# LDAP result codes (RFC 4511, 4.1.9) that mean "this bind is refused", as opposed to
# "the directory cannot answer": inappropriateAuthentication, invalidCredentials,
# insufficientAccessRights, unwillingToPerform.
REFUSED_BIND = {48, 49, 50, 53}
SUCCESS, NO_SUCH_OBJECT = 0, 32


@dataclass(frozen=True)
class LdapAttributes:
    """Which LDAP attribute gives each :class:`Identity` field ("" = not mapped)."""

    external_id: str = ""
    """"" uses the entry's DN; ``entryUUID`` survives renames."""
    display_name: str = "displayName"
    first_name: str = "givenName"
    last_name: str = "sn"
    email: str = "mail"
    barcode: str = ""
    patron_type: str = "employeeType"
    department: str = "ou"
    expires: str = ""
    """GeneralizedTime (``20270630000000Z``) or ISO date; a date passed refuses sign-in."""
    extra: tuple[str, ...] = ("eduPersonAffiliation",)
    """Further attributes kept in :attr:`Identity.attributes` for the mapping rules."""

    def names(self) -> list[str]:
        fields = (
            *(self.external_id, self.display_name, self.first_name, self.last_name),
            *(self.email, self.barcode, self.patron_type, self.department, self.expires),
        )
        return sorted({name for name in (*fields, *self.extra) if name} | {"cn"})


@dataclass(frozen=True)
class LdapSettings:
    url: str
    """``ldap://host[:port]`` or ``ldaps://host[:port]``."""
    name: str = "ldap"
    start_tls: bool = False
    ca_file: str = ""
    verify: bool = True
    """Check the server certificate (against ``ca_file``, else the system CAs) and name."""
    bind_dn: str = ""
    search_base: str = ""
    search_filter: str = "(uid={username})"
    search_scope: str = "subtree"
    service_dn: str = ""
    service_password: str = ""
    allowed_base: str = ""
    allowed_filter: str = ""
    allowed_group: str = ""
    group_member_attribute: str = "member"
    locked_filter: str = ""
    attributes: LdapAttributes = field(default_factory=LdapAttributes)
    connect_timeout: float = 5.0
    timeout: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"url: expected ldap://host or ldaps://host, not {self.url!r}")
        if self.start_tls and parts.scheme == "ldaps":
            raise ValueError("start_tls: not with ldaps:// (the connection is already TLS)")
        if bool(self.bind_dn) == bool(self.search_base):
            raise ValueError("bind_dn / search_base: give exactly one of the two")
        if self.bind_dn and "{username}" not in self.bind_dn:
            raise ValueError("bind_dn: the template must contain {username}")
        if self.search_base and "{username}" not in self.search_filter:
            raise ValueError("search_filter: the template must contain {username}")
        if self.search_scope not in SCOPES:
            raise ValueError(f"search_scope: one of {', '.join(SCOPES)}")
        if bool(self.service_dn) != bool(self.service_password):
            raise ValueError("service_dn / service_password: give both or neither")

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or DEFAULT_PORTS[parts.scheme]

    @property
    def use_ssl(self) -> bool:
        return urlsplit(self.url).scheme == "ldaps"


class LdapProvider:
    """Checks passwords by binding to the directory as the patron."""

    def __init__(self, settings: LdapSettings, *, today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self._today = today

    @property
    def name(self) -> str:
        return self.settings.name

    def ports(self) -> list[Endpoint]:
        s = self.settings
        protocol = "tcp (ldaps)" if s.use_ssl else "tcp (ldap)"
        return [Endpoint(s.host, s.port, protocol, f"ILL sign-in: LDAP {s.name!r}")]

    async def authenticate(self, username: str, password: str) -> Identity:
        check_input(username, password)
        identity = await asyncio.to_thread(self._authenticate, username, password)
        refuse_if_expired(identity.expires, self._today())
        return identity

    # --- in the worker thread ----------------------------------------------------------

    def _authenticate(self, username: str, password: str) -> Identity:
        connection = self._connection()
        try:
            connection.open()
            if self.settings.start_tls:
                connection.start_tls()
            return _Session(self.settings, connection).sign_in(username, password)
        except (LDAPException, OSError, ssl.SSLError) as error:
            raise ProviderUnavailable(self.name, f"{type(error).__name__}: {error}") from error
        finally:
            with contextlib.suppress(LDAPException, OSError):
                connection.unbind()

    def _connection(self) -> Any:
        s = self.settings
        tls = None
        if s.use_ssl or s.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if s.verify else ssl.CERT_NONE,
                ca_certs_file=s.ca_file or None,
            )
        server = ldap3.Server(
            s.host,
            port=s.port,
            use_ssl=s.use_ssl,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=s.connect_timeout,
        )
        return ldap3.Connection(
            server,
            auto_bind=ldap3.AUTO_BIND_NONE,
            receive_timeout=max(1, math.ceil(s.timeout)),  # ldap3 packs it as an integer
            raise_exceptions=False,
            auto_referrals=False,
            read_only=True,
        )


@dataclass
class _Entry:
    dn: str
    attributes: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class _Verdict:
    allowed: bool
    locked: bool


class _Session:
    """One sign-in over one open connection."""

    def __init__(self, settings: LdapSettings, connection: Any) -> None:
        self.settings = settings
        self.connection = connection

    def sign_in(self, username: str, password: str) -> Identity:
        s = self.settings
        if s.search_base:
            self._bind_service()
            entry = self._find(username)
            if not within(entry.dn, s.allowed_base):
                raise InvalidCredentials
            verdict = self._verdict(entry.dn)  # read as the service account
            self._bind_user(entry.dn, password)
        else:
            dn = s.bind_dn.replace("{username}", escape_rdn(username))
            if not within(dn, s.allowed_base):
                raise InvalidCredentials
            self._bind_user(dn, password)
            entry = self._read(dn)
            verdict = self._verdict(dn)  # read as the patron
        # Only now, with the password verified, may the answer say more than "invalid".
        if not verdict.allowed:
            raise InvalidCredentials
        if verdict.locked:
            raise AccountBlocked("locked in the directory")
        return self._identity(username, entry)

    def _bind_service(self) -> None:
        s = self.settings
        if not self.connection.rebind(user=s.service_dn or None, password=s.service_password):
            # The service account is shelfnet's to fix, not the patron's.
            raise ProviderUnavailable(s.name, f"service account bind refused: {self._result()}")

    def _bind_user(self, dn: str, password: str) -> None:
        if self.connection.rebind(user=dn, password=password):
            return
        code = self.connection.result.get("result")
        if code in REFUSED_BIND:
            raise InvalidCredentials
        raise ProviderUnavailable(self.settings.name, f"bind failed: {self._result()}")

    def _find(self, username: str) -> _Entry:
        s = self.settings
        search_filter = s.search_filter.replace("{username}", escape_filter_chars(username))
        entries = self._search(s.search_base, search_filter, SCOPES[s.search_scope])
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("%s: %d entries match %s", s.name, len(entries), search_filter)
            raise InvalidCredentials
        return entries[0]

    def _read(self, dn: str) -> _Entry:
        entries = self._search(dn, "(objectClass=*)", ldap3.BASE)
        if not entries:
            needs_entry = self.settings.locked_filter or self.settings.allowed_filter
            if needs_entry:
                raise ProviderUnavailable(self.settings.name, f"cannot read {dn} after its bind")
            return _Entry(dn, {})
        return entries[0]

    def _verdict(self, dn: str) -> _Verdict:
        s = self.settings
        allowed = not s.allowed_filter or self._matches(dn, s.allowed_filter)
        if allowed and s.allowed_group:
            member = f"({s.group_member_attribute}={escape_filter_chars(dn)})"
            allowed = bool(self._search(s.allowed_group, member, ldap3.BASE, ["1.1"]))
        locked = bool(s.locked_filter) and self._matches(dn, s.locked_filter)
        return _Verdict(allowed, locked)

    def _matches(self, dn: str, search_filter: str) -> bool:
        return bool(self._search(dn, search_filter, ldap3.BASE, ["1.1"]))

    def _search(
        self, base: str, search_filter: str, scope: str, attributes: list[str] | None = None
    ) -> list[_Entry]:
        wanted = attributes or self.settings.attributes.names()
        self.connection.search(base, search_filter, search_scope=scope, attributes=wanted)
        code = self.connection.result.get("result")
        if code not in (SUCCESS, NO_SUCH_OBJECT):
            raise ProviderUnavailable(self.settings.name, f"search failed: {self._result()}")
        return [
            _Entry(item["dn"], _decode(item.get("raw_attributes", {})))
            for item in self.connection.response or []
            if item.get("type") == "searchResEntry"
        ]

    def _identity(self, username: str, entry: _Entry) -> Identity:
        names = self.settings.attributes

        def first(attribute: str) -> str:
            values = _values(entry.attributes, attribute) if attribute else ()
            return values[0] if values else ""

        return Identity(
            provider=self.settings.name,
            external_id=first(names.external_id) or entry.dn,
            username=username,
            display_name=first(names.display_name) or first("cn"),
            first_name=first(names.first_name),
            last_name=first(names.last_name),
            email=first(names.email),
            barcode=first(names.barcode),
            patron_type=first(names.patron_type),
            department=first(names.department),
            expires=parse_ldap_date(first(names.expires)),
            attributes=entry.attributes,
        )

    def _result(self) -> str:
        result = self.connection.result or {}
        return f"{result.get('result')} {result.get('description', '')} {result.get('message', '')}"


def within(dn: str, base: str) -> bool:
    """Whether ``dn`` is ``base`` or below it (RDNs compared without regard to case)."""
    if not base:
        return True
    try:
        entry = [(a.casefold(), v.casefold()) for a, v, _ in parse_dn(dn)]
        allowed = [(a.casefold(), v.casefold()) for a, v, _ in parse_dn(base)]
    except LDAPException:
        return False
    return len(entry) >= len(allowed) and entry[len(entry) - len(allowed) :] == allowed


def parse_ldap_date(text: str) -> date | None:
    """A GeneralizedTime (``20270630000000Z``) or ISO date (``2027-06-30``); else None."""
    text = text.strip()
    for parse in (lambda t: datetime.strptime(t[:8], "%Y%m%d").date(), date.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _decode(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {
        name: tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in vs)
        for name, vs in raw.items()
        if vs
    }


def _values(attributes: Mapping[str, tuple[str, ...]], name: str) -> tuple[str, ...]:
    wanted = name.casefold()
    return next((vs for key, vs in attributes.items() if key.casefold() == wanted), ())
