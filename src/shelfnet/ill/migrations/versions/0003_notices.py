"""E-mail notices: templates, the outbox and the scanner's cursor. The shipped templates
are not data of this migration: ``notices.outbox.Outbox.prepare`` adds them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ill_notice_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("request_type", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.UniqueConstraint("event", "request_type", name="ill_notice_templates_key"),
    )
    op.create_table(
        "ill_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "template_id", sa.Integer, sa.ForeignKey("ill_notice_templates.id"), nullable=False
        ),
        sa.Column(
            "transaction_id",
            sa.Integer,
            sa.ForeignKey("ill_transactions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "history_id",
            sa.Integer,
            sa.ForeignKey("ill_history.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("overdue_round", sa.Integer, nullable=True),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt", sa.DateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("sent", sa.DateTime, nullable=True),
        sa.UniqueConstraint("history_id", "template_id", name="ill_notices_once_per_change"),
        sa.UniqueConstraint(
            "transaction_id",
            "template_id",
            "due_date",
            "overdue_round",
            name="ill_notices_once_per_overdue_round",
        ),
    )
    op.create_index("ill_notices_due", "ill_notices", ["state", "next_attempt"])
    op.create_index("ill_notices_by_transaction", "ill_notices", ["transaction_id", "id"])
    op.create_table(
        "ill_notice_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("ill_notice_cursors", "ill_notices", "ill_notice_templates"):
        op.drop_table(table)
