"""``shelfnet ill ...``: staff users, local passwords and API keys of the ILL server.

A Typer sub-application; ``shelfnet.cli`` mounts it as ``shelfnet ill``. Every command opens
the ILL store that ``shelfnet.toml`` names (``[ill] url`` or ``path``, else ``ill.sqlite`` in
the data folder), made and migrated when missing.

    shelfnet ill staff add jdoe --role staff --name "Jo Doe"
    shelfnet ill passwd staff jdoe                   # asks twice, without echo
    printf '%s\\n' "$PW" | shelfnet ill passwd patron mjones --password-stdin
    shelfnet ill apikey create jdoe --label "discovery layer"
    shelfnet ill apikey list
    shelfnet ill apikey revoke 3

Exit codes: 0 done; 1 nothing to do (no such key); 2 usage error (unknown user, unusable
store or configuration, passwords that do not match).
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from shelfnet.ill.model import StaffRole

if TYPE_CHECKING:  # SQLAlchemy loads when a command runs, not with every shelfnet command
    from shelfnet.ill.store import IllStore

EXIT_NOTHING = 1
EXIT_USAGE = 2
MIN_PASSWORD = 8

ill_app = typer.Typer(
    name="ill",
    help="The interlibrary-loan server: staff users, passwords and API keys.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
apikey_app = typer.Typer(
    help="API keys for the REST API (each acts as its staff user).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
staff_app = typer.Typer(
    help="ILL staff users.", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
)  # fmt: skip
ill_app.add_typer(apikey_app, name="apikey")
ill_app.add_typer(staff_app, name="staff")
err = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="shelfnet.toml to read (default: $SHELFNET_CONFIG, ./shelfnet.toml)"
    ),
]


class Account(enum.StrEnum):
    patron = "patron"
    staff = "staff"


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(Text.assemble(("error: ", "red"), message))
    raise typer.Exit(code)


@contextmanager
def _open(config: Path | None) -> Iterator[IllStore]:
    """The configured ILL store, open for the block; a store or configuration that cannot be
    used ends the command with a message, not a traceback."""
    from shelfnet.config import ConfigError, load_settings
    from shelfnet.ill.store import Duplicate, IllStoreError, UnknownRecord, open_ill_store

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        _fail(str(exc))
    location = settings.ill_location
    try:
        store = open_ill_store(location, lock_minutes=settings.ill.lock_minutes)
    except (IllStoreError, OSError) as exc:
        _fail(f"{location}: {exc}")
    failures: tuple[type[Exception], ...] = (IllStoreError, OSError, *store.errors)
    try:
        with store:
            yield store
    except (Duplicate, UnknownRecord) as exc:
        _fail(str(exc))
    except failures as exc:
        _fail(f"{location}: {exc}")


# API keys


@apikey_app.command("create")
def apikey_create(
    user: Annotated[str, typer.Argument(help="The staff user the key acts as")],
    label: Annotated[str, typer.Option(help="What the key is for")] = "",
    config: ConfigOpt = None,
) -> None:
    """Make an API key; it is shown once, now: keep it where the script can read it."""
    from shelfnet.ill.apikeys import ApiKeys

    with _open(config) as store:
        if store.get_staff(user) is None:
            _fail(f"there is no staff user {user} (shelfnet ill staff add makes one)")
        key, record = ApiKeys(store.engine).create(user, label)
    err.print(f"API key {record.id} for {user} (shown only now):")
    print(key)


@apikey_app.command("list")
def apikey_list(
    user: Annotated[str | None, typer.Option(help="Only this staff user's keys")] = None,
    config: ConfigOpt = None,
) -> None:
    """The API keys, one a line (tab-separated): number, first characters, owner, label,
    when made and last used, state."""
    from shelfnet.ill.apikeys import ApiKeys

    with _open(config) as store:
        keys = ApiKeys(store.engine).list(user)
    if not keys:
        err.print("no API keys")
        return
    print("\t".join(("id", "key", "user", "label", "created", "last used", "state")))
    for key in keys:
        last_used = f"{key.last_used:%Y-%m-%d %H:%M}" if key.last_used else "never"
        state = "revoked" if key.revoked else "active"
        created = f"{key.created:%Y-%m-%d %H:%M}"
        row = (str(key.id), f"{key.prefix}...", key.username, key.label, created, last_used)
        print("\t".join((*row, state)))


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[int, typer.Argument(metavar="ID", help="The key's number (apikey list)")],
    config: ConfigOpt = None,
) -> None:
    """Revoke an API key: scripts using it are refused from now on."""
    from shelfnet.ill.apikeys import ApiKeys

    with _open(config) as store:
        revoked = ApiKeys(store.engine).revoke(key_id)
    if not revoked:
        _fail(f"there is no API key {key_id}", EXIT_NOTHING)
    err.print(f"API key {key_id} revoked")


# Passwords and staff


@ill_app.command("passwd")
def passwd(
    account: Annotated[Account, typer.Argument(help="patron or staff")],
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Set the local password of a patron or staff user (stored as an argon2 hash)."""
    from shelfnet.ill.model import hash_password

    password = _read_password(password_stdin)
    with _open(config) as store:
        if account is Account.patron:
            _patron_password(store, username, hash_password(password))
        else:
            _staff_password(store, username, hash_password(password))
    err.print(f"password set for {account.value} {username}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            _fail("the two passwords are not the same")
    if len(password) < MIN_PASSWORD:
        _fail(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def _patron_password(store: IllStore, username: str, password_hash: str) -> None:
    from dataclasses import replace

    patron = store.find_patron(username)
    if patron is None:
        _fail(f"there is no patron {username}")
    store.update_patron(replace(patron, password_hash=password_hash))


def _staff_password(store: IllStore, username: str, password_hash: str) -> None:
    # The store has no staff update; this one column is set directly.
    from sqlalchemy import update

    from shelfnet.ill.tables import StaffRow

    if store.get_staff(username) is None:
        _fail(f"there is no staff user {username}")
    change = update(StaffRow).where(StaffRow.username == username)
    with store.engine.begin() as connection:
        connection.execute(change.values(password_hash=password_hash))


@staff_app.command("add")
def staff_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[StaffRole, typer.Option(help="What the user may do")] = StaffRole.STAFF,
    name: Annotated[str, typer.Option(help="Full name")] = "",
    email: Annotated[str, typer.Option(help="E-mail address")] = "",
    config: ConfigOpt = None,
) -> None:
    """Add a staff user (then set a password with passwd, or sign in through an external
    provider)."""
    from shelfnet.ill.model import StaffUser

    if not username.strip() or len(username) > 255:
        _fail("a username needs 1 to 255 characters")
    with _open(config) as store:
        store.create_staff(StaffUser(username.strip(), name, email, role))
    err.print(f"staff user {username.strip()} added ({role.value})")


@staff_app.command("list")
def staff_list(config: ConfigOpt = None) -> None:
    """The staff users and their roles, one a line (tab-separated)."""
    with _open(config) as store:
        users = store.list_staff()
    print("\t".join(("username", "name", "email", "role", "password")))
    for user in users:
        has_password = "local" if user.password_hash else "-"
        print("\t".join((user.username, user.name, user.email, user.role.value, has_password)))
