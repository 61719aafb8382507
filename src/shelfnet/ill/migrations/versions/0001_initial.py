"""The ILL store's first schema: patrons, staff, partners, transactions with their history
and notes, and routing rules.

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

CITATION_COLUMNS = (
    "title", "author", "journal_title", "article_title", "article_author", "volume", "issue",
    "month", "year", "pages", "edition", "publisher", "place", "isbn", "issn", "oclc_number",
    "lccn", "doi", "pmid", "call_number", "cited_in",
)  # fmt: skip


def _text(*names: str) -> list[sa.Column[str]]:
    return [sa.Column(name, sa.Text, nullable=False) for name in names]


def _transaction_id() -> sa.Column[int]:
    return sa.Column(
        "transaction_id",
        sa.Integer,
        sa.ForeignKey("ill_transactions.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "ill_patrons",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(255), nullable=False, unique=True),
        *_text("first_name", "last_name", "email", "phone"),
        sa.Column("status", sa.String(32), nullable=False),
        *_text("department", "address"),
        sa.Column("delivery", sa.String(32), nullable=False),
        sa.Column("cleared", sa.String(16), nullable=False),
        sa.Column("feed_token", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "ill_staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(255), nullable=False, unique=True),
        *_text("name", "email"),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
    )
    op.create_table(
        "ill_partners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("symbol", sa.String(64), nullable=False, unique=True),
        *_text("name", "address", "email"),
        sa.Column("protocol", sa.String(16), nullable=False),
        *_text("endpoint", "delivery_address"),
        sa.Column("trusted", sa.Boolean, nullable=False),
        sa.Column("shared_secret", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "ill_transactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("process_type", sa.String(32), nullable=False),
        sa.Column("request_type", sa.String(16), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("patron_id", sa.Integer, sa.ForeignKey("ill_patrons.id"), nullable=True),
        *_text(*CITATION_COLUMNS),
        sa.Column("not_wanted_after", sa.Date, nullable=True),
        sa.Column("max_cost", sa.Numeric(10, 2), nullable=True),
        sa.Column("accept_alternate_edition", sa.Boolean, nullable=False),
        sa.Column("copyright_compliance", sa.String(8), nullable=False),
        sa.Column("copyright_cleared", sa.Boolean, nullable=False),
        sa.Column("journal_key", sa.String(255), nullable=False),
        sa.Column("lender_string", sa.Text, nullable=False),
        sa.Column("partner", sa.String(64), nullable=True),
        sa.Column("external_id", sa.Text, nullable=False),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("cost", sa.Numeric(10, 2), nullable=True),
        sa.Column("fee", sa.Numeric(10, 2), nullable=True),
        sa.Column("system_id", sa.String(16), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("lock_holder", sa.String(255), nullable=True),
        sa.Column("lock_taken", sa.DateTime, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ill_transactions_queue", "ill_transactions", ["status", "process_type", "created", "id"]
    )
    op.create_index("ill_transactions_by_patron", "ill_transactions", ["patron_id", "created"])
    op.create_index("ill_transactions_by_journal", "ill_transactions", ["journal_key", "created"])
    op.create_index("ill_transactions_by_partner", "ill_transactions", ["partner", "process_type"])
    op.create_table(
        "ill_history",
        sa.Column("id", sa.Integer, primary_key=True),
        _transaction_id(),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.String(255), nullable=False),
        sa.Column("from_process", sa.String(32), nullable=True),
        sa.Column("from_status", sa.String(64), nullable=True),
        sa.Column("to_process", sa.String(32), nullable=False),
        sa.Column("to_status", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ill_history_by_transaction", "ill_history", ["transaction_id", "id"])
    op.create_index("ill_history_by_status", "ill_history", ["to_status", "transaction_id"])
    op.create_table(
        "ill_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        _transaction_id(),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("patron_visible", sa.Boolean, nullable=False),
    )
    op.create_index("ill_notes_by_transaction", "ill_notes", ["transaction_id", "id"])
    op.create_table(
        "ill_routing_rules",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("new_status", sa.String(64), nullable=True),
        sa.Column("new_process_type", sa.String(32), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ill_routing_rules", "ill_notes", "ill_history", "ill_transactions", "ill_partners",
        "ill_staff", "ill_patrons",
    ):  # fmt: skip
        op.drop_table(table)
