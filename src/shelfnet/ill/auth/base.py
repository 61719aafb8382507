"""What every sign-in provider promises: the :class:`Provider` protocol, the
:class:`Identity` it hands back, and the four ways it can refuse.

The refusals are ordered by what the provider knows:

* :class:`InvalidCredentials` -- the username or the password is wrong. One error for
  both, with one message, so that nothing tells whether an account exists.
* :class:`AccountBlocked` / :class:`AccountExpired` -- the password *was* right, but the
  account may not borrow. Raised only after the password has been verified.
* :class:`ProviderUnavailable` -- the provider could not be asked (network, timeout,
  an answer that cannot be read, a misconfigured service account). Never lets anyone in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Protocol, runtime_checkable

INVALID_MESSAGE = "The username or password is not right."
UNAVAILABLE_MESSAGE = "Sign-in is unavailable at the moment; please try again later."

MAX_USERNAME_LENGTH = 256
MAX_PASSWORD_LENGTH = 1024


class AuthError(Exception):
    """A sign-in was refused; :attr:`user_message` is safe to show the patron."""

    user_message = INVALID_MESSAGE


class InvalidCredentials(AuthError):
    """Wrong username or wrong password -- deliberately indistinguishable."""

    def __init__(self) -> None:
        super().__init__(INVALID_MESSAGE)


class AccountBlocked(AuthError):
    """The password was right, but the account is blocked (fines, a library block...)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.user_message = (
            f"Your library account is blocked ({reason}); please contact the library."
        )
        super().__init__(f"account blocked: {reason}")


class AccountExpired(AuthError):
    """The password was right, but the account's borrowing privileges have expired."""

    def __init__(self, expired_on: date | None = None) -> None:
        self.expired_on = expired_on
        when = f" on {expired_on.isoformat()}" if expired_on else ""
        self.user_message = (
            f"Your library account expired{when}; please contact the library to renew it."
        )
        super().__init__(f"account expired{when}")


class ProviderUnavailable(AuthError):
    """The provider could not give an answer; ``detail`` is for the log, not the patron."""

    user_message = UNAVAILABLE_MESSAGE

    def __init__(self, provider: str, detail: str) -> None:
        self.provider = provider
        self.detail = detail
        super().__init__(f"{provider}: {detail}")


def _frozen(values: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class Identity:
    """Who signed in, as the provider describes them. Empty strings mean "not given"."""

    provider: str
    """The name of the provider that verified the password (its ``name`` in the config)."""
    external_id: str
    """The provider's stable key: an LDAP DN or entryUUID, a PatronAPI record number, a
    Symphony patron key."""
    username: str
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    barcode: str = ""
    patron_type: str = ""
    """The provider's own category code: III P TYPE, Symphony profile, an LDAP attribute."""
    patron_status: str = ""
    """The provider's own standing: Symphony standing, III MBLOCK, empty when not known."""
    department: str = ""
    expires: date | None = None
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Everything else the provider returned, by its own attribute names (read-only)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", _frozen(self.attributes))

    def attribute(self, name: str) -> tuple[str, ...]:
        """Values of one attribute, names compared without regard to case."""
        wanted = name.casefold()
        for key, values in self.attributes.items():
            if key.casefold() == wanted:
                return values
        return ()


@dataclass(frozen=True)
class Endpoint:
    """One address a provider connects to, as ``shelfnet ports`` and ``doctor`` list it."""

    host: str
    port: int
    protocol: str
    """``tcp (ldap)``, ``tcp (ldaps)``, ``tcp (http)``, ``tcp (https)``."""
    purpose: str
    direction: str = "outbound"


@runtime_checkable
class Provider(Protocol):
    """Checks a username and password against one source of patrons."""

    @property
    def name(self) -> str:
        """The provider's name from the config, e.g. ``campus-ldap``."""
        ...

    async def authenticate(self, username: str, password: str) -> Identity:
        """The identity behind a username and password, or an :class:`AuthError`."""
        ...

    def ports(self) -> list[Endpoint]:
        """Where the provider connects to (empty for local accounts)."""
        ...


def check_input(username: str, password: str) -> None:
    """Refuse what no provider should be asked about.

    An empty password matters most: an LDAP simple bind with a DN and no password is an
    *unauthenticated* bind that most servers answer with success (RFC 4513, 5.1.2).
    """
    if not username or not password:
        raise InvalidCredentials
    if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidCredentials
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in username + password):
        raise InvalidCredentials


def refuse_if_expired(expires: date | None, today: date) -> None:
    """Raise :class:`AccountExpired` when ``expires`` is before ``today`` (the day of
    expiry itself still counts as valid)."""
    if expires is not None and expires < today:
        raise AccountExpired(expires)
