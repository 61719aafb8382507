"""``shelfnet directory serve``, ``keys init``, ``keys issue`` and ``sync``: the directory
server, its keys, and AutoSync (``syncserver``, ``keys``, ``syncclient``).

The server, the store, HTTP and the cryptography load inside the commands, not with the CLI.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from shelfnet.directory.commands import (
    EXIT_FAILURES,
    ConfigOpt,
    DirectoryOpt,
    _fail,
    _open,
    _settings,
    directory_app,
    out,
)

DEFAULT_SIGNING_KEY = Path("data/directory-signing.key")
DEFAULT_SUBSCRIPTIONS = Path("data/directory-keys.json")
DEFAULT_PORT = 8310

keys_app = typer.Typer(
    help="The directory server's signing key and its subscription keys.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
directory_app.add_typer(keys_app, name="keys")

SigningKeyOpt = Annotated[
    Path, typer.Option("--key-file", help="The server's private signing key (0600)")
]
SubscriptionsOpt = Annotated[
    Path, typer.Option("--subscriptions", help="Issued subscription keys (hashes only)")
]


@keys_app.command("init")
def keys_init(key_file: SigningKeyOpt = DEFAULT_SIGNING_KEY) -> None:
    """Make the server's Ed25519 key pair; prints the public key for clients' settings."""
    from shelfnet.directory.keys import KeyFileError, make_signing_key
    from shelfnet.directory.syncformat import public_key_text

    try:
        key = make_signing_key(key_file)
    except (KeyFileError, OSError) as exc:
        _fail(str(exc))
    out.print(Text(f"signing key written to {key_file} (readable by its owner only)"))
    out.print(Text("public key (clients' --public-key, or public_key in [directory]):"))
    out.print(Text(public_key_text(key.verify_key)), soft_wrap=True)


@keys_app.command("issue")
def keys_issue(
    name: Annotated[str, typer.Option("--name", help="The library the key is for")],
    expires: Annotated[str, typer.Option("--expires", help="Last day it is good for")],
    subscriptions: SubscriptionsOpt = DEFAULT_SUBSCRIPTIONS,
) -> None:
    """Issue a subscription key; it is printed once, and only its hash is kept."""
    from shelfnet.directory.keys import KeyFileError, issue_subscription

    try:
        last_day = date.fromisoformat(expires)
    except ValueError:
        _fail(f"--expires {expires!r} is not a date (YYYY-MM-DD)")
    if not name.strip() or not name.isprintable():
        _fail("--name must be plain text")
    try:
        token = issue_subscription(subscriptions, name.strip(), last_day, datetime.now(UTC))
    except (KeyFileError, OSError) as exc:
        _fail(str(exc))
    out.print(Text(f"subscription key for {name.strip()}, good until {last_day.isoformat()}:"))
    out.print(Text(token), soft_wrap=True)


@directory_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = DEFAULT_PORT,
    key_file: SigningKeyOpt = DEFAULT_SIGNING_KEY,
    subscriptions: SubscriptionsOpt = DEFAULT_SUBSCRIPTIONS,
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Publish the directory as signed snapshots and deltas over HTTP."""
    import uvicorn

    from shelfnet.directory.keys import KeyFileError, load_signing_key
    from shelfnet.directory.syncserver import create_app

    try:
        signing_key = load_signing_key(key_file)
    except KeyFileError as exc:
        _fail(str(exc))
    with _open(directory, config) as store:
        app = create_app(store, signing_key, subscriptions)
        uvicorn.run(app, host=host, port=port, log_level="warning")


@directory_app.command("sync")
def sync_command(
    url: Annotated[
        str | None,
        typer.Option(
            envvar="SHELFNET_DIRECTORY_SYNC_URL", help="Server URL (default: directory.sync_url)"
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            envvar="SHELFNET_DIRECTORY_KEY", help="Subscription key (default: directory.sync_key)"
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            envvar="SHELFNET_DIRECTORY_PUBLIC_KEY",
            help="The server's ed25519: key (default: directory.public_key)",
        ),
    ] = None,
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Bring the directory up to date from a directory server (AutoSync)."""
    from shelfnet.directory.syncclient import KeyExpired, SyncError, SyncSource, sync
    from shelfnet.directory.syncformat import DocumentError, parse_public_key

    if url is None or key is None or public_key is None:
        configured = _settings(config).directory
        url = url or configured.sync_url
        key = key or configured.sync_key
        public_key = public_key or configured.public_key
    if url is None or key is None or public_key is None:
        _fail("give --url, --key and --public-key, or set them in [directory] of shelfnet.toml")
    try:
        source = SyncSource(url, key, parse_public_key(public_key))
    except DocumentError as exc:
        _fail(f"--public-key: {exc}")
    with _open(directory, config, create=True) as store:
        try:
            report = sync(store, source)
        except KeyExpired as exc:
            _fail(f"{exc} (the directory is unchanged)", EXIT_FAILURES)
        except SyncError as exc:
            _fail(f"{exc} (the directory is unchanged)", EXIT_FAILURES)
    if report.kind == "not-modified":
        out.print(Text(f"unchanged at version {report.version_after} ({report.bytes} bytes)"))
        return
    out.print(
        Text(
            f"{report.kind} to version {report.version_after}: {report.added} added, "
            f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged, "
            f"{len(report.kept_local)} kept because edited locally; {report.bytes} bytes "
            f"in {report.seconds:.2f} s"
        )
    )
    for entry in report.kept_local:
        out.print(Text(f"  kept: {entry}"))
    for entry in report.rejected:
        out.print(Text(f"  rejected: {entry}"))
