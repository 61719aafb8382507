"""One way to open a SQLAlchemy engine on a shelfnet database: a SQLite file (the embedded
default) or a PostgreSQL URL, for every store that keeps its tables with Alembic (directory,
ILL).

SQLite gets foreign keys, a 30 s busy timeout and WAL, and its transactions begin when
SQLAlchemy says so (the driver's own late, implicit BEGIN is off). A transaction that will
write begins with ``BEGIN IMMEDIATE`` when it runs on `write_engine` of the engine: it holds
the write lock from the start, so two writers wait for each other instead of one failing at
once with "database is locked" when its read lock cannot be upgraded. PostgreSQL needs none of
this (row locks; the option is ignored there).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, Connection, make_url

WRITE = "shelfnet_write"
"""The execution option `write_engine` sets."""


def is_database_url(location: str | os.PathLike[str]) -> bool:
    """Whether a location is a database URL (PostgreSQL, or an explicit sqlite:// one)."""
    return str(location).startswith(("postgresql://", "postgres://", "sqlite://"))


def open_engine(location: str, *, on_connect: Callable[[Any], None] | None = None) -> Engine:
    """The engine for a file path (SQLite, its folder made if missing) or a database URL;
    ``on_connect(dbapi_connection)`` runs on each new SQLite connection too."""
    if not is_database_url(location):
        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(URL.create("sqlite", database=str(path)), on_connect)
    url = make_url(location)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, on_connect)
    return create_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True)


def write_engine(engine: Engine) -> Engine:
    """The same engine, for transactions that will write."""
    return engine.execution_options(**{WRITE: True})


def _sqlite_engine(url: URL, on_connect: Callable[[Any], None] | None) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def pragmas(dbapi_connection: Any, _record: object) -> None:
        # The driver's own transaction handling is off: "begin" below says BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if url.database and url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
        if on_connect is not None:
            on_connect(dbapi_connection)

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def migrate(
    engine: Engine,
    migrations: Path,
    version_table: str,
    *,
    foreign: Callable[[str, set[str]], str | None],
    error: Callable[[str], Exception],
) -> None:
    """Bring the schema up to every head of the Alembic scripts in ``migrations``, keeping
    its version in ``version_table`` (several stores may share one database). Raises
    ``error(message)`` for a database that ``foreign(dialect, tables)`` says is not this
    store's, or one made by a newer shelfnet (a revision these scripts do not know)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations))
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    with engine.begin() as connection:
        refusal = foreign(engine.dialect.name, set(inspect(connection).get_table_names()))
        if refusal is not None:
            raise error(refusal)
        context = MigrationContext.configure(connection, opts={"version_table": version_table})
        newer = set(context.get_current_heads()) - known
        if newer:
            raise error(f"made by a newer shelfnet (schema revision {', '.join(sorted(newer))})")
        config.attributes["connection"] = connection
        # "heads": parts of a store may add their tables on branches of their own.
        command.upgrade(config, "heads")
