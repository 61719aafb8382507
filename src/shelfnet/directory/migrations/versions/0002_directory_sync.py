"""AutoSync's state as a table of the directory: the server version held, its URL and the
time of the last sync, in one row.

shelfnet's first AutoSync made a ``directory_sync`` table of names and values itself; its
values are carried over when they are all there.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    held: dict[str, str] = {}
    if "directory_sync" in sa.inspect(connection).get_table_names():
        rows = connection.execute(sa.text("SELECT name, value FROM directory_sync"))
        held = {str(name): str(value) for name, value in rows}
        op.drop_table("directory_sync")
    table = op.create_table(
        "directory_sync",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("server_version", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("last_sync", sa.DateTime, nullable=False),
    )
    try:
        row = {
            "id": 1,
            "server_version": int(held["server_version"]),
            "url": held["url"],
            # stored as naive UTC, like every time in the directory
            "last_sync": datetime.fromisoformat(held["last_sync"])
            .astimezone(UTC)
            .replace(tzinfo=None),
        }
    except (KeyError, ValueError):
        return  # nothing held (or not all of it): the next sync starts from a snapshot
    op.bulk_insert(table, [row])


def downgrade() -> None:
    op.drop_table("directory_sync")
