"""Incoming ISO ILL APDUs: kept in the message log, checked, and applied to the transaction.

The listener (``isoill.server`` with an inbox) hands every APDU here. What happens:

* **Repeats.** An APDU is known by (transaction id, APDU type, service date-time): the log's
  unique key. A repeat (a partner trying again after a lost acknowledgement) is acknowledged
  and changes nothing.
* **Unknown agencies.** With ``require_known_partners``, an APDU whose sender (requester-id
  or initial requester for APDUs a requester sends, responder-id for the others) is not an
  active partner is refused with the standard's User-Error-Report ``security-problem``.
* **Applying.** In one database transaction: the log line, the protocol state
  (``states.py``) and the transaction's move or note. The lending side: ILL-Request -> a new
  lending transaction; Received -> a note (a copy is finished); Returned -> a note, the loan
  awaits check-in (stays Item Shipped); Cancel -> Cancelled by ILL Staff (the outbox answers
  Cancel-Reply yes) or, when too late, Cancel-Reply no; Renew -> Awaiting Lending Renewal
  Processing; Conditional-Reply -> conditions accepted, or cancelled. The borrowing side:
  Shipped -> due date and a note (stays Request Sent until staff mark it received);
  ILL-Answer unfilled -> Awaiting Unfilled Processing; conditional -> Awaiting Conditional
  Request Processing; Checked-In -> Request Finished; Renew-Answer -> the new due date, back
  to Checked Out to Customer. Anything else becomes a note.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfnet.ill.messaging import states
from shelfnet.ill.messaging.isoill import FROM_REQUESTER, PROTOCOL, parse_date, summarize
from shelfnet.ill.messaging.model import MessageKind, MessageState, Outgoing, Rendered
from shelfnet.ill.messaging.outbox import MessageOutbox
from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.ill.model import ProcessType, RequestType
from shelfnet.ill.protocols.isoill import apdus as a
from shelfnet.ill.protocols.isoill.lending import draft_from_request, request_summary
from shelfnet.ill.protocols.isoill.protocol import Transaction as ProtocolState
from shelfnet.ill.protocols.isoill.protocol import TransactionKey, transaction_key
from shelfnet.ill.protocols.isoill.states import Role
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import IsoIllStateRow, PartnerRow, TransactionRow
from shelfnet.ill.workflow import Action, Status, TransitionRefused, action_target

Clock = Callable[[], datetime]
S = Status


def _utc_now() -> datetime:
    return datetime.now(UTC)


def message_key(apdu: a.Apdu) -> str:
    """What makes an incoming APDU unique: transaction id, type, service date-time."""
    when = apdu.service_date_time
    return "in:{}:{}:{}:{}{}".format(
        PROTOCOL,
        "/".join(transaction_key(apdu.transaction_id)),
        apdu.TYPE.value,
        when.date,
        when.time or "",
    )[:255]


def sender_of(apdu: a.Apdu, role: Role) -> str:
    """The agency that sent the APDU (we are ``role``)."""
    if role is Role.RESPONDER:
        for system in (apdu.requester_id, apdu.transaction_id.initial_requester):
            if system is not None and str(system):
                return str(system)
        return ""
    return str(apdu.responder_id) if apdu.responder_id is not None else ""


class IsoIllInbox:
    """What the ISO ILL listener calls (``isoill.server.Inbox``)."""

    def __init__(
        self,
        store: IllStore,
        settings: MessagingSettings,
        outbox: MessageOutbox,
        *,
        clock: Clock = _utc_now,
    ) -> None:
        self.store = store
        self.settings = settings
        self.outbox = outbox
        self.our_id = a.SystemId(settings.symbol)
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # The listener's questions

    def duplicate(self, apdu: a.Apdu) -> bool:
        return self.outbox.seen(message_key(apdu))

    def role_of(self, apdu: a.Apdu) -> Role:
        """Our role for this APDU: responder for what requesters send, else requester."""
        if apdu.TYPE in FROM_REQUESTER:
            return Role.RESPONDER
        initial = apdu.transaction_id.initial_requester
        if apdu.TYPE in _EITHER and not (initial and str(initial) == self.settings.symbol):
            return Role.RESPONDER
        return Role.REQUESTER

    def admit(self, apdu: a.Apdu, role: Role) -> a.ErrorReport | None:
        """None, or the error report refusing an APDU from an unknown agency."""
        if not self.settings.require_known_partners:
            return None
        sender = sender_of(apdu, role)
        with self.outbox.writing() as session:
            partner = session.scalars(
                select(PartnerRow).where(PartnerRow.symbol == sender, PartnerRow.active)
            ).first()
            if partner is not None:
                return None
            reason = f"unknown agency {sender or '(none)'}"
            rendered = Rendered(apdu.TYPE.value, b"", f"{summarize(apdu)}; refused: {reason}")
            self.outbox.log_incoming(
                session,
                f"refused:{message_key(apdu)}"[:255],
                transaction_id=None,
                protocol=PROTOCOL,
                partner=sender[:64],
                rendered=rendered,
                state=MessageState.REFUSED,
                error=reason,
            )
        return a.ErrorReport(
            apdu.TYPE.identifier,
            a.ReportSource.USER,
            user_error=("security-problem", a.ill_string(reason)),
        )

    def load_state(self, role: Role, key: TransactionKey) -> ProtocolState | None:
        with self.outbox.writing() as session:
            return states.load(session, role, key)

    def handle(self, apdu: a.Apdu, role: Role, state: ProtocolState | None, raw: bytes) -> str:
        """File an APDU the state table accepted; the note of the acknowledgement."""
        rendered = Rendered(apdu.TYPE.value, raw, summarize(apdu))
        key = transaction_key(apdu.transaction_id)
        if isinstance(apdu, a.IllRequest):
            return self._request(apdu, state, key, rendered)
        now = self._now()
        sender = sender_of(apdu, role)
        with self.outbox.writing() as session:
            row = self._find(session, apdu, role, key)
            number = row.id if row is not None else None
            logged = self.outbox.log_incoming(
                session,
                message_key(apdu),
                transaction_id=number,
                protocol=PROTOCOL,
                partner=sender[:64],
                rendered=rendered,
            )
            if not logged:
                return "already received"
            if state is not None:
                states.save(session, role, key, state, transaction_id=number, now=now)
            if row is None:
                return "no such transaction here"
            if row.process_type == ProcessType.LENDING.value:
                self._lending(session, row, apdu, sender, now)
            else:
                self._borrowing(session, row, apdu, sender, now)
            return f"shelfnet transaction {row.id}"

    # ILL-Request

    def _request(
        self,
        request: a.IllRequest,
        state: ProtocolState | None,
        key: TransactionKey,
        rendered: Rendered,
    ) -> str:
        by = self.settings.by
        transaction = self.store.create_transaction(draft_from_request(request), by)
        summary = "\n".join(f"{label}: {value}" for label, value in request_summary(request))
        self.store.add_note(transaction.id, by, summary)
        with self.outbox.writing() as session:
            self.outbox.log_incoming(
                session,
                message_key(request),
                transaction_id=transaction.id,
                protocol=PROTOCOL,
                partner=(transaction.partner or "")[:64],
                rendered=rendered,
            )
            if state is not None:
                states.save(
                    session, Role.RESPONDER, key, state, transaction_id=transaction.id,
                    now=self._now(),
                )  # fmt: skip
        return f"shelfnet transaction {transaction.id}"

    # Finding the transaction

    def _find(
        self, session: Session, apdu: a.Apdu, role: Role, key: TransactionKey
    ) -> TransactionRow | None:
        number: int | None = None
        if role is Role.REQUESTER:
            tid = apdu.transaction_id
            initial = str(tid.initial_requester) if tid.initial_requester else ""
            if initial == self.settings.symbol and tid.qualifier.isdigit():
                number = int(tid.qualifier)
            process = ProcessType.BORROWING
        else:
            row = session.get(IsoIllStateRow, (Role.RESPONDER.value, *key))
            number = row.transaction_id if row is not None else None
            process = ProcessType.LENDING
        if number is None:
            return None
        query = select(TransactionRow).where(TransactionRow.id == number).with_for_update()
        found = session.scalars(query).first()
        if found is None or found.process_type != process.value:
            return None
        return found

    # Moving it

    def _move(self, session: Session, row: TransactionRow, to: Status, note: str) -> bool:
        try:
            self.store._move(session, row, None, to, self.settings.by, note)
        except TransitionRefused:
            status = Status(row.status)
            self._note(session, row, f"{note} (the request stays in {status.display})")
            return False
        return True

    def _act(self, session: Session, row: TransactionRow, action: Action, note: str) -> bool:
        process, status = ProcessType(row.process_type), Status(row.status)
        try:
            target = action_target(process, status, action)
        except TransitionRefused:
            self._note(session, row, f"{note} (the request stays in {status.display})")
            return False
        return self._move(session, row, target, note)

    def _note(self, session: Session, row: TransactionRow, text: str) -> None:
        self.store._note(session, row, self.settings.by, text)

    def _set_due(self, row: TransactionRow, due: date, now: datetime) -> None:
        row.due_date = due
        row.version += 1
        row.updated = now

    def _lending(
        self, session: Session, row: TransactionRow, apdu: a.Apdu, sender: str, now: datetime
    ) -> None:
        text_of_note: str | None = getattr(apdu, "note", None)
        said = f"{sender}: {text_of_note}" if text_of_note else ""
        if isinstance(apdu, a.Received):
            text = f"{sender} received the item ({apdu.date_received or 'no date'})."
            if row.request_type == RequestType.COPY.value:
                self._act(session, row, Action.FINISH, text)
            else:
                self._note(session, row, text)
        elif isinstance(apdu, a.Returned):
            text = f"{sender} returned the item ({apdu.date_returned or 'no date'}): check it in."
            self._note(session, row, text)
        elif isinstance(apdu, a.Cancel):
            if not self._act(session, row, Action.CANCEL, f"{sender} cancelled the request."):
                outgoing = Outgoing(MessageKind.CANCEL_REFUSED, "The request cannot be cancelled.")
                key = f"out:reply:{message_key(apdu)}"[:255]
                self.outbox.queue(session, row.id, row.partner or sender, outgoing, key, now)
        elif isinstance(apdu, a.Renew):
            wanted = f" until {apdu.desired_due_date}" if apdu.desired_due_date else ""
            self._act(session, row, Action.REQUEST_RENEWAL, f"{sender} asks to renew{wanted}.")
        elif isinstance(apdu, a.ConditionalReply):
            if apdu.answer:
                self._act(session, row, Action.CONDITIONS_ACCEPTED, f"{sender} accepts.")
            else:
                self._act(session, row, Action.CANCEL, f"{sender} refuses the conditions.")
        else:
            self._note(session, row, f"{summarize(apdu)}")
        if said:
            self._note(session, row, said)

    def _borrowing(
        self, session: Session, row: TransactionRow, apdu: a.Apdu, sender: str, now: datetime
    ) -> None:
        if row.partner and sender and sender != row.partner:
            self._note(
                session, row, f"From {sender}, not the lender {row.partner}: {summarize(apdu)}"
            )
            return
        said: str | None = getattr(apdu, "note", None)
        note = f" {sender} says: {said}" if said else ""
        if isinstance(apdu, a.Shipped):
            details = apdu.supply_details
            due = parse_date(details.date_due.date) if details.date_due else None
            if due is not None and row.request_type == RequestType.LOAN.value:
                self._set_due(row, due, now)
            text = f"{sender} shipped it ({details.date_shipped or 'no date'})"
            text += f", due {due:%Y-%m-%d}." if due else "."
            self._note(session, row, text + note)
        elif isinstance(apdu, a.IllAnswer):
            results = apdu.transaction_results
            text = f"{sender} answered {results.value}.{note}"
            if results in (
                a.TransactionResults.UNFILLED,
                a.TransactionResults.RETRY,
                a.TransactionResults.LOCATIONS_PROVIDED,
            ):
                self._act(session, row, Action.CANNOT_FILL, text)
            elif results is a.TransactionResults.CONDITIONAL:
                self._act(session, row, Action.CONDITIONALIZE, text)
            else:
                self._note(session, row, text)
        elif isinstance(apdu, a.CheckedIn):
            text = f"{sender} checked the item in ({apdu.date_checked_in or 'no date'}).{note}"
            self._move(session, row, S.REQUEST_FINISHED, text)
        elif isinstance(apdu, a.RenewAnswer):
            due = parse_date(apdu.date_due.date) if apdu.date_due else None
            if apdu.answer and due is not None:
                self._set_due(row, due, now)
            verdict = f"renewed until {due:%Y-%m-%d}" if apdu.answer and due else "refused renewal"
            self._act(session, row, Action.RENEW, f"{sender} {verdict}.{note}")
        elif isinstance(apdu, a.CancelReply):
            verdict = "cancelled the request" if apdu.answer else "could not cancel"
            self._note(session, row, f"{sender} {verdict}.{note}")
        else:
            self._note(session, row, summarize(apdu))


_EITHER = frozenset({
    a.ApduType.LOST, a.ApduType.DAMAGED, a.ApduType.MESSAGE, a.ApduType.STATUS_QUERY,
    a.ApduType.STATUS_OR_ERROR_REPORT,
})  # fmt: skip
