"""Document delivery: received and sent documents, and their expiring download links.

Revision ID: 0004_delivery
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery"
down_revision = "0003"
branch_labels = ("delivery",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ill_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("receiver", sa.String(64), nullable=False),
        sa.Column("ill_number", sa.String(64), nullable=False),
        sa.Column("transaction_number", sa.String(64), nullable=False),
        sa.Column(
            "transaction_id",
            sa.Integer,
            sa.ForeignKey("ill_transactions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("original_path", sa.Text, nullable=False),
        sa.Column("pdf_path", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("received", sa.DateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changed", sa.DateTime, nullable=False),
        sa.Column("changed_by", sa.String(255), nullable=False),
    )
    op.create_index("ill_documents_by_state", "ill_documents", ["state", "received"])
    op.create_index("ill_documents_by_transaction", "ill_documents", ["transaction_id"])
    op.create_table(
        "ill_document_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("ill_documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("expires", sa.DateTime, nullable=False),
        sa.Column("max_views", sa.Integer, nullable=True),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("blocked_until", sa.DateTime, nullable=True),
    )
    op.create_index("ill_document_links_by_expiry", "ill_document_links", ["expires"])
    op.create_index("ix_ill_document_links_document_id", "ill_document_links", ["document_id"])


def downgrade() -> None:
    op.drop_table("ill_document_links")
    op.drop_table("ill_documents")
