"""Providers in the order the config lists them, and the sign-in built on them.

:class:`AuthChain` asks each provider in turn:

* an :class:`Identity` -- the patron is in; later providers are not asked;
* :class:`InvalidCredentials` -- not known here (or wrong password): ask the next one;
* :class:`ProviderUnavailable` -- remembered, and the next one is asked;
* :class:`AccountBlocked` / :class:`AccountExpired` -- the password *was* verified, so
  this answer stands; later providers are not asked.

When no provider let the patron in: if any was unavailable the chain raises
:class:`ProviderUnavailable` ("sign-in is unavailable, try later" -- the patron might have
been known to the one that is down); otherwise :class:`InvalidCredentials`. An outage never
lets anyone in.

:class:`SignIn` puts the :class:`Throttle` in front of the chain, and makes every refused
attempt take at least ``min_failure_seconds``, so that "no such user" (often answered
without asking a server) does not come back faster than "wrong password".

``[[ill.auth]]`` tables become providers with :func:`providers_from_config`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import types
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from shelfnet.ill.auth.base import (
    AccountBlocked,
    AccountExpired,
    Endpoint,
    Identity,
    InvalidCredentials,
    Provider,
    ProviderUnavailable,
)
from shelfnet.ill.auth.ldap import LdapProvider, LdapSettings
from shelfnet.ill.auth.local import LocalProvider, LocalSettings, Lookup
from shelfnet.ill.auth.mapping import MappingRules, PatronProfile, map_identity, rules_from_config
from shelfnet.ill.auth.patronapi import PatronApiProvider, PatronApiSettings
from shelfnet.ill.auth.symphony import SymphonyProvider, SymphonySettings
from shelfnet.ill.auth.throttle import Throttle, Throttled

CHAIN_NAME = "sign-in"


@dataclass(frozen=True)
class ConfiguredProvider:
    """A provider and the rules that turn its identities into patron profiles."""

    provider: Provider
    rules: MappingRules = field(default_factory=MappingRules)


class AuthChain:
    def __init__(self, providers: Sequence[Provider | ConfiguredProvider]) -> None:
        self.entries = [
            p if isinstance(p, ConfiguredProvider) else ConfiguredProvider(p) for p in providers
        ]
        names = [entry.provider.name for entry in self.entries]
        if len(set(names)) != len(names):
            raise ValueError(f"[[ill.auth]]: provider names must differ, got {names}")

    async def authenticate(self, username: str, password: str) -> Identity:
        outages: list[ProviderUnavailable] = []
        for entry in self.entries:
            try:
                return await entry.provider.authenticate(username, password)
            except InvalidCredentials:
                continue
            except ProviderUnavailable as outage:
                outages.append(outage)
        if outages:
            detail = "; ".join(f"{o.provider}: {o.detail}" for o in outages)
            raise ProviderUnavailable(CHAIN_NAME, detail)
        raise InvalidCredentials

    def profile(self, identity: Identity) -> PatronProfile:
        """The patron fields for an identity, by the rules of the provider that gave it."""
        for entry in self.entries:
            if entry.provider.name == identity.provider:
                return map_identity(identity, entry.rules)
        return map_identity(identity)

    def ports(self) -> list[Endpoint]:
        return [port for entry in self.entries for port in entry.provider.ports()]


class SignIn:
    """Throttle, chain, and a floor on how long a refusal takes."""

    def __init__(
        self,
        chain: AuthChain,
        throttle: Throttle,
        *,
        min_failure_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.chain = chain
        self.throttle = throttle
        self.min_failure_seconds = min_failure_seconds
        self._clock = clock
        self._sleep = sleep

    async def sign_in(self, username: str, password: str, address: str) -> Identity:
        """The identity, or :class:`Throttled` / an :class:`AuthError` from the chain."""
        decision = self.throttle.check(username, address)
        if not decision.allowed:
            raise Throttled(decision.retry_after)
        started = self._clock()
        try:
            identity = await self.chain.authenticate(username, password)
        except InvalidCredentials:
            self.throttle.record_failure(username, address)
            await self._pad(started)
            raise
        except (ProviderUnavailable, AccountBlocked, AccountExpired):
            await self._pad(started)
            raise
        self.throttle.record_success(username, address)
        return identity

    async def _pad(self, started: float) -> None:
        remaining = self.min_failure_seconds - (self._clock() - started)
        if remaining > 0:
            await self._sleep(remaining)


# --- configuration -------------------------------------------------------------------

_SETTINGS: Mapping[str, type[Any]] = {
    "local": LocalSettings,
    "ldap": LdapSettings,
    "patronapi": PatronApiSettings,
    "symphony": SymphonySettings,
}


def providers_from_config(
    entries: Sequence[Mapping[str, Any]],
    *,
    local_lookup: Lookup | None = None,
    today: Callable[[], date] = date.today,
) -> list[ConfiguredProvider]:
    """Providers from the ``[[ill.auth]]`` tables, in order.

    Each table has ``kind`` (``local``, ``ldap``, ``patronapi``, ``symphony``), the keys of
    that kind's settings dataclass, and an optional ``mapping`` table (see
    :func:`~shelfnet.ill.auth.mapping.rules_from_config`). Raises :class:`ValueError`
    naming the table and the bad key.
    """
    built: list[ConfiguredProvider] = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[ill.auth]] #{number}"
        kind = str(entry.get("kind", ""))
        if kind not in _SETTINGS:
            raise ValueError(
                f"{where}: 'kind' must be one of {', '.join(_SETTINGS)}, not {entry.get('kind')!r}"
            )
        where = f"{where} ({kind})"
        options = {k: v for k, v in entry.items() if k not in ("kind", "mapping")}
        options.setdefault("name", f"{kind}-{number}" if _count(entries, kind) > 1 else kind)
        try:
            settings = settings_from_dict(_SETTINGS[kind], options)
            rules = rules_from_config(entry.get("mapping", {}))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
        built.append(ConfiguredProvider(_provider(kind, settings, local_lookup, today), rules))
    AuthChain(built)  # checks the names differ
    return built


def _provider(
    kind: str, settings: Any, local_lookup: Lookup | None, today: Callable[[], date]
) -> Provider:
    if kind == "local":
        if local_lookup is None:
            raise ValueError("[[ill.auth]] (local): no account store to look passwords up in")
        return LocalProvider(local_lookup, settings=settings)
    if kind == "ldap":
        return LdapProvider(settings, today=today)
    if kind == "patronapi":
        return PatronApiProvider(settings, today=today)
    return SymphonyProvider(settings, today=today)


def _count(entries: Sequence[Mapping[str, Any]], kind: str) -> int:
    return sum(1 for entry in entries if entry.get("kind") == kind)


def settings_from_dict(cls: type[Any], values: Mapping[str, Any]) -> Any:
    """An instance of the settings dataclass ``cls`` from TOML values, type-checked."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise ValueError(f"unknown key {key!r} (expected one of {', '.join(fields)})")
        converted[key] = _convert(key, hints[key], value)
    missing = [
        name
        for name, f in fields.items()
        if name not in converted
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"missing key {missing[0]!r}")
    return cls(**converted)


def _convert(key: str, hint: Any, value: Any) -> Any:
    wrong = ValueError(f"{key!r}: {value!r} is not a valid {_describe(hint)}")
    if isinstance(hint, types.UnionType):
        if value is None and type(None) in hint.__args__:
            return None
        hint = next(a for a in hint.__args__ if a is not type(None))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, Mapping):
            raise wrong
        try:
            return settings_from_dict(hint, value)
        except ValueError as error:
            raise ValueError(f"{key}.{error}") from error
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise wrong
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise wrong
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong
        return float(value)
    if hint is Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise wrong
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise wrong from None
    if hint is str:
        if not isinstance(value, str):
            raise wrong
        return value
    raise wrong


def _describe(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))
