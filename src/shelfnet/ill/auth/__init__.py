"""How patrons sign in to the ILL server: with the credentials they already have.

Providers check a username and password against one source (``local`` argon2id accounts,
an ``ldap`` campus directory, III ``patronapi``, SirsiDynix ``symphony``); the
:class:`AuthChain` asks them in the order ``[[ill.auth]]`` lists them, and :class:`SignIn`
adds the :class:`Throttle`. See docs/ill-auth.md.
"""

from shelfnet.ill.auth.base import (
    AccountBlocked,
    AccountExpired,
    AuthError,
    Endpoint,
    Identity,
    InvalidCredentials,
    Provider,
    ProviderUnavailable,
)
from shelfnet.ill.auth.chain import AuthChain, ConfiguredProvider, SignIn, providers_from_config
from shelfnet.ill.auth.mapping import MappingRules, PatronProfile, StatusRule, map_identity
from shelfnet.ill.auth.throttle import Decision, Throttle, Throttled, ThrottleSettings

__all__ = [
    "AccountBlocked",
    "AccountExpired",
    "AuthChain",
    "AuthError",
    "ConfiguredProvider",
    "Decision",
    "Endpoint",
    "Identity",
    "InvalidCredentials",
    "MappingRules",
    "PatronProfile",
    "Provider",
    "ProviderUnavailable",
    "SignIn",
    "StatusRule",
    "Throttle",
    "ThrottleSettings",
    "Throttled",
    "map_identity",
    "providers_from_config",
]
