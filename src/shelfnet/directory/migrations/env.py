"""Alembic's entry point for the directory's migrations.

The store runs them itself (``DirectoryStore.open``) on a connection it passes in
``config.attributes["connection"]``; there is no alembic.ini. A new revision is a new file
in ``versions/`` (``script.py.mako`` is its template) with ``tables.py`` changed to match: a
test checks that the migrated schema and the mapped tables agree.
"""

from __future__ import annotations

from alembic import context

from shelfnet.directory.store import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
