"""Web sign-ons and staff API keys, kept in the ILL database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from shelfnet.ill.apikeys import PREFIX, ApiKeys
from shelfnet.ill.signon import SignOnKind, SignOns
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import ApiKeyRow, SignOnRow
from tests.unit.ill.conftest import Clock


def test_a_sign_on_is_found_by_its_token_until_it_expires(store: IllStore, clock: Clock) -> None:
    signons = SignOns(store.engine, hours=2, clock=clock)
    token, signon = signons.start(SignOnKind.PATRON, "ada", address="127.0.0.1", agent="test")
    found = signons.find(token)
    assert found == signon
    assert found is not None and found.kind is SignOnKind.PATRON and found.username == "ada"
    assert len(found.csrf) >= 40
    clock.tick(2 * 3600 - 1)
    assert signons.find(token) is not None
    clock.tick(1)
    assert signons.find(token) is None


def test_the_database_keeps_only_the_tokens_hash(store: IllStore, clock: Clock) -> None:
    signons = SignOns(store.engine, clock=clock)
    token, _ = signons.start(SignOnKind.STAFF, "sam")
    with store.engine.connect() as connection:
        hashes = connection.scalars(select(SignOnRow.token_hash)).all()
    assert hashes == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in hashes


def test_unknown_and_absurd_tokens_find_nothing(store: IllStore, clock: Clock) -> None:
    signons = SignOns(store.engine, clock=clock)
    signons.start(SignOnKind.PATRON, "ada")
    assert signons.find(None) is None
    assert signons.find("") is None
    assert signons.find("x" * 10_000) is None
    assert signons.find("not-a-token") is None


def test_sign_out_ends_one_browser_and_everywhere_ends_all(store: IllStore, clock: Clock) -> None:
    signons = SignOns(store.engine, clock=clock)
    first, _ = signons.start(SignOnKind.PATRON, "ada")
    second, _ = signons.start(SignOnKind.PATRON, "ada")
    other, _ = signons.start(SignOnKind.PATRON, "bob")
    staff, _ = signons.start(SignOnKind.STAFF, "ada")
    signons.end(first)
    assert signons.find(first) is None and signons.find(second) is not None
    assert signons.end_all(SignOnKind.PATRON, "ada") == 1
    assert signons.find(second) is None
    assert signons.find(other) is not None
    assert signons.find(staff) is not None, "a staff sign-on is not the patron's"


def test_expired_sign_ons_are_purged_when_new_ones_start(store: IllStore, clock: Clock) -> None:
    signons = SignOns(store.engine, hours=1, clock=clock)
    signons.start(SignOnKind.PATRON, "ada")
    clock.tick(3601)
    signons.start(SignOnKind.PATRON, "bob")
    with store.engine.connect() as connection:
        assert connection.scalars(select(SignOnRow.username)).all() == ["bob"]


def test_an_api_key_acts_as_its_owner_until_revoked(store: IllStore, clock: Clock) -> None:
    keys = ApiKeys(store.engine, clock=clock)
    key, record = keys.create("sam", "nightly report")
    assert key.startswith(PREFIX) and len(key) > 40
    assert key.startswith(record.prefix)
    assert keys.owner(key) == "sam"
    assert keys.list("sam")[0].last_used == clock.now
    assert keys.owner(key + "x") is None
    assert keys.owner("Bearer " + key) is None
    assert keys.revoke(record.id)
    assert keys.owner(key) is None
    assert not keys.revoke(9999)


def test_the_database_keeps_only_the_keys_hash(store: IllStore, clock: Clock) -> None:
    key, _ = ApiKeys(store.engine, clock=clock).create("sam")
    with store.engine.connect() as connection:
        stored = connection.execute(select(ApiKeyRow.key_hash, ApiKeyRow.prefix)).one()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in stored
