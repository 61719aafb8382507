"""The directory server's keys: its Ed25519 signing key, and the subscription keys it issues.

The signing key is a file holding the 32-byte seed in base64 (``ed25519-seed:...``), made
readable by its owner only (0600). Subscription keys are random tokens given once to a
library; the server keeps only their SHA-256 (a token has 256 bits of chance, so a plain hash
is enough), with the library's name and the last day the key is good for, in a JSON file:

    {"keys": [{"name": "LIB", "sha256": "...", "expires": "2027-12-31",
               "issued": "2026-11-23T15:00:00+00:00"}]}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from nacl.signing import SigningKey

SEED_PREFIX = "ed25519-seed:"
TOKEN_PREFIX = "snk_"
MAX_TOKEN_LENGTH = 200


class KeyFileError(ValueError):
    """A key file that cannot be used, or a key that cannot be made."""


def make_signing_key(path: Path) -> SigningKey:
    """A new key pair; the private part goes to ``path`` (0600), never over an old one."""
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists: a signing key is never overwritten") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(SEED_PREFIX + base64.b64encode(bytes(key)).decode("ascii") + "\n")
    return key


def load_signing_key(path: Path) -> SigningKey:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the signing key {path}: {exc}") from None
    if not text.startswith(SEED_PREFIX):
        raise KeyFileError(f"{path} is not a shelfnet signing key")
    try:
        seed = base64.b64decode(text[len(SEED_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path} is not a shelfnet signing key") from None
    if len(seed) != 32:
        raise KeyFileError(f"{path} is not a shelfnet signing key")
    return SigningKey(seed)


@dataclass(frozen=True)
class Subscription:
    name: str
    sha256: str
    expires: date
    issued: datetime

    def expired(self, today: date) -> bool:
        """A key is good up to and including its expiry date."""
        return today > self.expires


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_subscriptions(path: Path) -> list[Subscription]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Subscription(
                entry["name"],
                entry["sha256"],
                date.fromisoformat(entry["expires"]),
                datetime.fromisoformat(entry["issued"]),
            )
            for entry in data["keys"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{path} is not a subscription key file: {exc}") from None


def issue_subscription(path: Path, name: str, expires: date, now: datetime) -> str:
    """A new subscription key for ``name``; only its hash is written to ``path``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    entries = [
        {
            "name": subscription.name,
            "sha256": subscription.sha256,
            "expires": subscription.expires.isoformat(),
            "issued": subscription.issued.isoformat(),
        }
        for subscription in load_subscriptions(path)
    ]
    entries.append(
        {
            "name": name,
            "sha256": _digest(token),
            "expires": expires.isoformat(),
            "issued": now.isoformat(),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"keys": entries}, file, indent=1)
        file.write("\n")
    temporary.replace(path)
    return token


def find_subscription(subscriptions: list[Subscription], token: str) -> Subscription | None:
    """The subscription a presented token belongs to, compared in constant time."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = _digest(token)
    found = None
    for subscription in subscriptions:
        if hmac.compare_digest(subscription.sha256, digest):
            found = subscription
    return found
