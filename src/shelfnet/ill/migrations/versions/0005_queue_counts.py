"""Queue counts kept by the database itself: one row per (process, status), changed by
triggers on ill_transactions in the same transaction as the row, whichever code (or person)
changes it. The queue pages read a few dozen rows instead of counting 100,000.

Revision ID: 0005_queue_counts
Revises: 0004_delivery, 0004_messaging
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_queue_counts"
down_revision = ("0004_delivery", "0004_messaging")
branch_labels = None
depends_on = None

TABLE = "ill_queue_counts"

# Two counters change when a transaction moves: they are always updated lower key first, so
# two moves in opposite directions never wait for each other's rows (no deadlock).
POSTGRES = [
    f"""
CREATE FUNCTION ill_count_queue(p text, s text, delta integer) RETURNS void AS $$
BEGIN
    INSERT INTO {TABLE} (process_type, status, count) VALUES (p, s, delta)
    ON CONFLICT (process_type, status) DO UPDATE SET count = {TABLE}.count + delta;
END $$ LANGUAGE plpgsql
""",
    """
CREATE FUNCTION ill_queue_counts_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ill_count_queue(NEW.process_type, NEW.status, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ill_count_queue(OLD.process_type, OLD.status, -1);
    ELSIF (OLD.process_type, OLD.status) IS DISTINCT FROM (NEW.process_type, NEW.status) THEN
        IF (OLD.process_type, OLD.status) < (NEW.process_type, NEW.status) THEN
            PERFORM ill_count_queue(OLD.process_type, OLD.status, -1);
            PERFORM ill_count_queue(NEW.process_type, NEW.status, 1);
        ELSE
            PERFORM ill_count_queue(NEW.process_type, NEW.status, 1);
            PERFORM ill_count_queue(OLD.process_type, OLD.status, -1);
        END IF;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER ill_queue_counts AFTER INSERT OR DELETE OR UPDATE OF process_type, status
ON ill_transactions FOR EACH ROW EXECUTE FUNCTION ill_queue_counts_change()
""",
]

# SQLite has one writer at a time: the order of the two updates cannot deadlock there.
SQLITE = [
    f"""
CREATE TRIGGER ill_queue_counts_insert AFTER INSERT ON ill_transactions BEGIN
    INSERT INTO {TABLE} (process_type, status, count) VALUES (NEW.process_type, NEW.status, 1)
    ON CONFLICT (process_type, status) DO UPDATE SET count = count + 1;
END
""",
    f"""
CREATE TRIGGER ill_queue_counts_delete AFTER DELETE ON ill_transactions BEGIN
    UPDATE {TABLE} SET count = count - 1
    WHERE process_type = OLD.process_type AND status = OLD.status;
END
""",
    f"""
CREATE TRIGGER ill_queue_counts_update AFTER UPDATE OF process_type, status ON ill_transactions
WHEN OLD.process_type != NEW.process_type OR OLD.status != NEW.status BEGIN
    UPDATE {TABLE} SET count = count - 1
    WHERE process_type = OLD.process_type AND status = OLD.status;
    INSERT INTO {TABLE} (process_type, status, count) VALUES (NEW.process_type, NEW.status, 1)
    ON CONFLICT (process_type, status) DO UPDATE SET count = count + 1;
END
""",
]


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("process_type", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(64), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.execute(
        f"INSERT INTO {TABLE} (process_type, status, count) "
        "SELECT process_type, status, count(*) FROM ill_transactions "
        "GROUP BY process_type, status"
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ill_queue_counts ON ill_transactions")
        op.execute("DROP FUNCTION ill_queue_counts_change()")
        op.execute("DROP FUNCTION ill_count_queue(text, text, integer)")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER ill_queue_counts_{name}")
    op.drop_table(TABLE)
