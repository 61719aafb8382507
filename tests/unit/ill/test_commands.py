"""``shelfnet ill``: staff users, local passwords and API keys, on the store that a
shelfnet.toml names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from shelfnet.ill.apikeys import ApiKeys
from shelfnet.ill.commands import ill_app
from shelfnet.ill.model import Patron, StaffRole, verify_password
from shelfnet.ill.store import IllStore, open_ill_store

PASSWORD = "a long enough secret"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "shelfnet.toml"
    path.write_text('[data]\ndir = "data"\n', encoding="utf-8")
    return path


@pytest.fixture
def store(config: Path) -> Iterator[IllStore]:
    """The store the configuration names (the data folder's ill.sqlite)."""
    opened = open_ill_store(config.parent / "data" / "ill.sqlite")
    yield opened
    opened.close()


def run(config: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(ill_app, [*args, "--config", str(config)], input=stdin)


def test_staff_add_makes_a_staff_user_in_the_configured_store(
    config: Path, store: IllStore
) -> None:
    result = run(config, "staff", "add", "jdoe", "--role", "read_only", "--name", "Jo Doe")
    assert result.exit_code == 0, result.output
    user = store.get_staff("jdoe")
    assert user is not None
    assert (user.name, user.role, user.password_hash) == ("Jo Doe", StaffRole.READ_ONLY, None)
    listed = run(config, "staff", "list")
    assert "jdoe" in listed.stdout and "read_only" in listed.stdout


def test_a_username_taken_is_a_usage_error(config: Path) -> None:
    assert run(config, "staff", "add", "jdoe").exit_code == 0
    again = run(config, "staff", "add", "jdoe")
    assert again.exit_code == 2
    assert "already has the username jdoe" in again.output


def test_an_unknown_role_is_refused(config: Path) -> None:
    assert run(config, "staff", "add", "jdoe", "--role", "boss").exit_code == 2


def test_passwd_sets_a_staff_password_from_standard_input(config: Path, store: IllStore) -> None:
    run(config, "staff", "add", "jdoe")
    result = run(config, "passwd", "staff", "jdoe", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = store.get_staff("jdoe")
    assert user is not None and verify_password(user.password_hash, PASSWORD)
    assert PASSWORD not in result.output


def test_passwd_asks_twice_for_a_patron_password(
    config: Path, store: IllStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_patron(Patron("mjones"))
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    result = run(config, "passwd", "patron", "mjones")
    assert result.exit_code == 0, result.output
    patron = store.find_patron("mjones")
    assert patron is not None and verify_password(patron.password_hash, PASSWORD)


def test_passwords_that_differ_or_are_short_are_refused(
    config: Path, store: IllStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_patron(Patron("mjones"))
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    differ = run(config, "passwd", "patron", "mjones")
    assert differ.exit_code == 2
    assert "not the same" in differ.output
    short = run(config, "passwd", "patron", "mjones", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2
    patron = store.find_patron("mjones")
    assert patron is not None and patron.password_hash is None


def test_passwd_for_nobody_is_a_usage_error(config: Path) -> None:
    result = run(config, "passwd", "patron", "nobody", "--password-stdin", stdin=PASSWORD)
    assert result.exit_code == 2
    assert "no patron nobody" in result.output


def test_an_api_key_is_made_shown_once_listed_and_revoked(config: Path, store: IllStore) -> None:
    run(config, "staff", "add", "jdoe")
    made = run(config, "apikey", "create", "jdoe", "--label", "discovery layer")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    keys = ApiKeys(store.engine)
    assert keys.owner(key) == "jdoe"
    listed = run(config, "apikey", "list")
    assert key[:10] in listed.stdout and "discovery layer" in listed.stdout
    assert key not in listed.stdout
    (record,) = keys.list("jdoe")
    revoked = run(config, "apikey", "revoke", str(record.id))
    assert revoked.exit_code == 0, revoked.output
    assert keys.owner(key) is None
    assert "revoked" in run(config, "apikey", "list").stdout


def test_keys_only_for_staff_users_and_unknown_keys_cannot_be_revoked(config: Path) -> None:
    nobody = run(config, "apikey", "create", "nobody")
    assert nobody.exit_code == 2
    assert "no staff user nobody" in nobody.output
    assert run(config, "apikey", "revoke", "42").exit_code == 1
    assert "no API keys" in run(config, "apikey", "list").output


def test_a_broken_configuration_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "shelfnet.toml"
    config.write_text("[data\n", encoding="utf-8")
    result = run(config, "apikey", "list")
    assert result.exit_code == 2
    assert "not valid TOML" in result.output
