"""ISO ILL protocol state per transaction, kept in ``ill_isoill_states``.

The protocol core (``isoill.protocol.Connection``) keeps each transaction's state in a
mapping. The listener and the sender load the one transaction an APDU is about into a fresh
mapping, let the core check and advance it, and save it back only once the APDU has been
filed (incoming) or acknowledged (outgoing): a failure leaves the stored state as it was, so
the APDU can be tried again. A restarted server therefore still knows every transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfnet.ill.protocols.isoill.apdus import ApduType, SystemId, TransactionId
from shelfnet.ill.protocols.isoill.protocol import Transaction, TransactionKey, transaction_key
from shelfnet.ill.protocols.isoill.states import Role, State
from shelfnet.ill.tables import IsoIllStateRow

_TYPES = {kind.value: kind for kind in ApduType}


def load(session: Session, role: Role, key: TransactionKey) -> Transaction | None:
    row = session.get(IsoIllStateRow, (role.value, *key))
    if row is None:
        return None
    return Transaction(
        state=State(row.state),
        previous=State(row.previous),
        last_apdu=_TYPES.get(row.last_apdu or ""),
        last_initiator=SystemId(row.last_initiator or None),
        last_transition=row.last_transition,
        requested=row.requested,
    )


def save(
    session: Session,
    role: Role,
    key: TransactionKey,
    transaction: Transaction,
    *,
    transaction_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Write the state (``transaction_id``: our transaction, when known)."""
    row = session.get(IsoIllStateRow, (role.value, *key))
    if row is None:
        row = IsoIllStateRow(
            role=role.value,
            initial_requester=key[0],
            group_qualifier=key[1],
            qualifier=key[2],
            sub_qualifier=key[3],
        )
        session.add(row)
    row.state = transaction.state.value
    row.previous = transaction.previous.value
    row.last_apdu = transaction.last_apdu.value if transaction.last_apdu else None
    row.last_initiator = str(transaction.last_initiator)
    row.last_transition = transaction.last_transition
    row.requested = transaction.requested
    if transaction_id is not None:
        row.transaction_id = transaction_id
    row.updated = now or datetime.now(UTC)
    session.flush()


def forget(session: Session, role: Role, key: TransactionKey) -> None:
    row = session.get(IsoIllStateRow, (role.value, *key))
    if row is not None:
        session.delete(row)
        session.flush()


def transaction_id_of(session: Session, role: Role, transaction_id: int) -> TransactionId | None:
    """The ISO transaction id our transaction is known by (the latest, if several)."""
    row = session.scalars(
        select(IsoIllStateRow)
        .where(IsoIllStateRow.role == role.value, IsoIllStateRow.transaction_id == transaction_id)
        .order_by(IsoIllStateRow.updated.desc())
    ).first()
    if row is None:
        return None
    return TransactionId(
        initial_requester=SystemId(row.initial_requester) if row.initial_requester else None,
        group_qualifier=row.group_qualifier,
        qualifier=row.qualifier,
        sub_qualifier=row.sub_qualifier or None,
    )


def key_of(transaction_id: TransactionId) -> TransactionKey:
    return transaction_key(transaction_id)
