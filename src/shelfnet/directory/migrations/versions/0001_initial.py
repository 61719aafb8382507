"""The directory's first schema: targets, their databases, syntaxes, element sets, Bib-1
indexes and groups; probe history; tombstones; the directory version.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _target_id() -> sa.Column[int]:
    return sa.Column(
        "target_id",
        sa.Integer,
        sa.ForeignKey("targets.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    text_columns = [
        "name", "institution", "description", "contact", "country", "library_type",
        "charset", "auth_user", "auth_password", "auth_group", "implementation_id",
        "implementation_name", "implementation_version",
    ]  # fmt: skip
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("protocol", sa.String(16), nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("tls", sa.Boolean, nullable=False),
        *(sa.Column(name, sa.Text, nullable=False) for name in text_columns),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("locally_edited", sa.Boolean, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("targets_by_version", "targets", ["version"])
    op.create_index("targets_by_port", "targets", ["port"])
    op.create_table(
        "target_databases",
        _target_id(),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    for table, column, size in [
        ("target_syntaxes", "name", 64),
        ("target_element_sets", "name", 255),
        ("target_groups", "name", 255),
    ]:
        op.create_table(table, _target_id(), sa.Column(column, sa.String(size), primary_key=True))
    op.create_index("target_groups_by_name", "target_groups", ["name"])
    op.create_table("target_indexes", _target_id(), sa.Column("use", sa.Integer, primary_key=True))
    op.create_table(
        "probes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "target_id",
            sa.Integer,
            sa.ForeignKey("targets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reachable", sa.Boolean, nullable=False),
        sa.Column("init_ok", sa.Boolean, nullable=True),
        sa.Column("search_ok", sa.Boolean, nullable=True),
        sa.Column("hits", sa.BigInteger, nullable=True),
        sa.Column("implementation_id", sa.Text, nullable=False),
        sa.Column("implementation_name", sa.Text, nullable=False),
        sa.Column("implementation_version", sa.Text, nullable=False),
        sa.Column("syntaxes", sa.Text, nullable=False),
        sa.Column("connect_seconds", sa.Float, nullable=True),
        sa.Column("init_seconds", sa.Float, nullable=True),
        sa.Column("search_seconds", sa.Float, nullable=True),
        sa.Column("diagnostic_set", sa.Text, nullable=True),
        sa.Column("diagnostic_code", sa.Integer, nullable=True),
        sa.Column("diagnostic_message", sa.Text, nullable=False),
        sa.Column("diagnostic_addinfo", sa.Text, nullable=False),
    )
    op.create_index("probes_by_target", "probes", ["target_id", "at"])
    op.create_table(
        "tombstones",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("deleted", sa.DateTime, nullable=False),
    )
    op.create_index("tombstones_by_version", "tombstones", ["version"])
    state = op.create_table(
        "directory_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "version": 0}])


def downgrade() -> None:
    for table in [
        "directory_state", "tombstones", "probes", "target_indexes", "target_groups",
        "target_element_sets", "target_syntaxes", "target_databases", "targets",
    ]:  # fmt: skip
        op.drop_table(table)
