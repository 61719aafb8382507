"""The ILL pages in-process: a fresh SQLite ILL store with the sample, the web app over it, and
clients signed in as a patron or as staff.

ill_store        the store, filled with ``shelfnet.ill.sample`` (patrons mjones, tnguyen,
                 asmith...; staff ``admin``), every sample account's password ``PASSWORD``
ill_web          the ``IllWeb`` over it (no sign-in delay: ``min_failure_seconds=0``)
app              the FastAPI app with its ILL side
client           an anonymous ``TestClient``
patron_client    a client signed in as patron ``mjones``
staff_client     a client signed in as staff ``admin``
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.model import StaffRole, StaffUser
from shelfnet.ill.sample import fill_sample
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.search.targets import TargetList
from shelfnet.web.app import create_app
from shelfnet.web.ill_access import IllWeb
from tests.unit.web.ill.pages import sign_in

PASSWORD = "correct horse battery"
# Cheap hashes: the tests make many accounts and sign in often.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def ill_store(tmp_path: Path) -> Iterator[IllStore]:
    store = open_ill_store(tmp_path / "ill.sqlite")
    fill_sample(store)
    hashed = FAST_HASHER.hash(PASSWORD)
    for patron in store.patrons():
        store.update_patron(replace(patron, password_hash=hashed))
    admin = store.get_staff("admin")
    assert admin is not None
    store.create_staff(StaffUser("reader", "Read Only", "", StaffRole.READ_ONLY, hashed))
    _set_staff_password(store, "admin", hashed)
    yield store
    store.close()


def _set_staff_password(store: IllStore, username: str, hashed: str) -> None:
    from sqlalchemy import update

    from shelfnet.ill.tables import StaffRow

    with store.engine.begin() as connection:
        connection.execute(
            update(StaffRow).where(StaffRow.username == username).values(password_hash=hashed)
        )


@pytest.fixture
def ill_web(ill_store: IllStore) -> IllWeb:
    return IllWeb(ill_store, symbol="TEST", min_failure_seconds=0)


@pytest.fixture
def app(ill_web: IllWeb) -> FastAPI:
    return create_app(TargetList(), ill=ill_web)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def patron_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        sign_in(test_client, "/ill/signin", "mjones", PASSWORD)
        yield test_client


@pytest.fixture
def staff_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        sign_in(test_client, "/staff/signin", "admin", PASSWORD)
        yield test_client
