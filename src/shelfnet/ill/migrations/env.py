"""Alembic's entry point for the ILL store's migrations.

The store runs them itself (``open_ill_store``) on a connection it passes in
``config.attributes["connection"]``; there is no alembic.ini. The ILL store keeps its own
version table, so it can share a database with the directory. A new revision is a new file
in ``versions/`` with ``tables.py`` changed to match: a test checks that they agree.
"""

from __future__ import annotations

from alembic import context

from shelfnet.ill.store import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
