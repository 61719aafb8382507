"""Partner messaging: the message log and outbox, its history cursor, and the ISO ILL
protocol state of each transaction.

Revision ID: 0004_messaging
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_messaging"
down_revision = "0003"
branch_labels = ("messaging",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ill_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column(
            "transaction_id",
            sa.Integer,
            sa.ForeignKey("ill_transactions.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "history_id",
            sa.Integer,
            sa.ForeignKey("ill_history.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("protocol", sa.String(16), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt", sa.DateTime, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("done", sa.DateTime, nullable=True),
    )
    op.create_index("ill_messages_due", "ill_messages", ["direction", "state", "next_attempt"])
    op.create_index("ill_messages_by_transaction", "ill_messages", ["transaction_id", "id"])
    op.create_table(
        "ill_message_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "ill_isoill_states",
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("initial_requester", sa.String(64), primary_key=True),
        sa.Column("group_qualifier", sa.String(255), primary_key=True),
        sa.Column("qualifier", sa.String(255), primary_key=True),
        sa.Column("sub_qualifier", sa.String(255), primary_key=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("previous", sa.String(32), nullable=False),
        sa.Column("last_apdu", sa.String(32), nullable=True),
        sa.Column("last_initiator", sa.Text, nullable=False),
        sa.Column("last_transition", sa.String(16), nullable=False),
        sa.Column("requested", sa.String(16), nullable=True),
        sa.Column("transaction_id", sa.Integer, nullable=True),
        sa.Column("updated", sa.DateTime, nullable=False),
    )
    op.create_index("ill_isoill_states_by_transaction", "ill_isoill_states", ["transaction_id"])


def downgrade() -> None:
    for table in ("ill_isoill_states", "ill_message_cursors", "ill_messages"):
        op.drop_table(table)
