"""The ILL store, on SQLite and PostgreSQL: round trips, status changes as one database
transaction with routing and history, version conflicts, soft locks, queues, patron lists,
search and reports."""

from __future__ import annotations

import contextlib
import itertools
import threading
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfnet.directory.store import open_store as open_directory
from shelfnet.ill import routing
from shelfnet.ill import store as store_module
from shelfnet.ill.model import (
    Citation,
    ClearedState,
    CopyrightCompliance,
    DeliveryPreference,
    DocumentType,
    Partner,
    PartnerProtocol,
    Patron,
    PatronStatus,
    ProcessType,
    RequestType,
    StaffRole,
    StaffUser,
    SystemId,
    TransactionDraft,
    hash_password,
    verify_password,
)
from shelfnet.ill.routing import Condition, Field, Operator, RoutingRule
from shelfnet.ill.sample import fill_sample
from shelfnet.ill.store import (
    MIGRATIONS,
    VERSION_TABLE,
    Duplicate,
    IllStore,
    IllStoreError,
    PatronList,
    UnknownRecord,
    VersionConflict,
    open_ill_store,
)
from shelfnet.ill.tables import Base
from shelfnet.ill.workflow import (
    INITIAL,
    Action,
    LenderStringExhausted,
    Locked,
    Status,
    TransitionRefused,
    action_target,
    allowed,
)
from tests.unit.ill.conftest import Clock, NewStore

B, L, D = ProcessType.BORROWING, ProcessType.LENDING, ProcessType.DOCUMENT_DELIVERY
S = Status

CITATION = Citation(
    title="Handbook of Chemistry", author="Lide, D.", journal_title="Journal of Chemistry",
    article_title="On salts", article_author="Ito, K.", volume="12", issue="3", month="May",
    year="2022", pages="1-20", edition="2nd", publisher="CRC", place="Boca Raton",
    isbn="9780849304880", issn="0022-3263", oclc_number="123", lccn="2001012345",
    doi="10.1000/xyz", pmid="555", call_number="QD65", cited_in="Google Scholar",
    not_wanted_after=date(2024, 6, 30), max_cost=Decimal("25.00"),
    accept_alternate_edition=False, copyright_compliance=CopyrightCompliance.NONE,
)  # fmt: skip


def book(title: str = "Moby-Dick", **changes: object) -> TransactionDraft:
    draft = TransactionDraft(B, RequestType.LOAN, DocumentType.BOOK, Citation(title=title))
    return replace(draft, **changes)  # type: ignore[arg-type]


def article_copy(
    journal: str = "Nature", year: str = "2023", **changes: object
) -> TransactionDraft:
    citation = Citation(journal_title=journal, article_title="A finding", year=year)
    draft = TransactionDraft(B, RequestType.COPY, DocumentType.ARTICLE, citation)
    return replace(draft, **changes)  # type: ignore[arg-type]


def chain_is_consistent(store: IllStore, transaction_id: int) -> None:
    transaction = store.get_transaction(transaction_id)
    history = transaction.history
    assert history[0].from_status is None
    for before, after in itertools.pairwise(history):
        assert (after.from_process, after.from_status) == (before.to_process, before.to_status)
    assert (history[-1].to_process, history[-1].to_status) == (
        transaction.process_type,
        transaction.status,
    )


# Schema


def test_the_migrations_make_the_mapped_tables(store: IllStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        heads = set(ScriptDirectory.from_config(config).get_heads())
        assert set(context.get_current_heads()) == heads


def test_the_store_shares_a_database_with_the_directory(location: str) -> None:
    with open_directory(location), open_ill_store(location) as ill:
        ill.create_patron(Patron("ann"))
    with open_directory(location) as directory, open_ill_store(location) as ill:
        assert directory.version() == 0
        assert ill.find_patron("ann") is not None


def test_a_store_from_a_newer_shelfnet_is_refused(new_store: NewStore, location: str) -> None:
    engine = new_store().engine
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"INSERT INTO {VERSION_TABLE} VALUES ('9999')"))
    with pytest.raises(IllStoreError, match="newer shelfnet"):
        open_ill_store(location)


def test_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(IllStoreError):
        open_ill_store("postgresql://nobody@127.0.0.1:1/none")


# Patrons, staff, partners


def test_patrons_round_trip_with_an_unguessable_feed_token(store: IllStore) -> None:
    patron = Patron(
        "ann", "Ann", "Lee", "ann@example.edu", "555-1234", PatronStatus.FACULTY, "History",
        ("1 Main St", "Springfield"), DeliveryPreference.MAIL, ClearedState.CLEARED,
        password_hash=hash_password("s3cret"),
    )  # fmt: skip
    stored = store.create_patron(patron)
    assert stored.id > 0 and len(stored.feed_token) >= 40
    assert replace(stored, id=0, feed_token="") == patron
    assert store.get_patron(stored.id) == stored == store.find_patron("ann")
    assert store.find_patron_by_feed_token(stored.feed_token) == stored
    assert store.find_patron_by_feed_token("") is None
    assert verify_password(stored.password_hash, "s3cret")
    assert not verify_password(stored.password_hash, "guess")
    other = store.create_patron(Patron("bob"))
    assert other.feed_token != stored.feed_token
    assert [p.username for p in store.patrons("lee")] == ["ann"]


def test_patron_updates_keep_the_token_unless_renewed(store: IllStore) -> None:
    stored = store.create_patron(Patron("ann"))
    updated = store.update_patron(replace(stored, email="a@x.org", feed_token=""))
    assert updated.email == "a@x.org" and updated.feed_token == stored.feed_token
    renewed = store.renew_feed_token(stored.id)
    assert renewed.feed_token != stored.feed_token
    assert store.find_patron_by_feed_token(stored.feed_token) is None


def test_usernames_symbols_and_rule_numbers_are_unique(store: IllStore) -> None:
    store.create_patron(Patron("ann"))
    with pytest.raises(Duplicate):
        store.create_patron(Patron("ann"))
    store.create_staff(StaffUser("admin"))
    with pytest.raises(Duplicate):
        store.create_staff(StaffUser("admin"))
    store.create_partner(Partner("US-CST"))
    with pytest.raises(Duplicate):
        store.create_partner(Partner("US-CST"))
    rule = RoutingRule(1, S.AWAITING_REQUEST_PROCESSING, new_status=S.REQUEST_IN_PROCESSING)
    store.add_routing_rule(rule)
    with pytest.raises(Duplicate):
        store.add_routing_rule(rule)
    with pytest.raises(UnknownRecord):
        store.get_patron(999)


def test_staff_and_partners_round_trip(store: IllStore) -> None:
    admin = StaffUser("admin", "Ada", "ada@example.edu", StaffRole.ADMIN, hash_password("pw"))
    assert replace(store.create_staff(admin), id=0) == admin
    assert store.get_staff("admin") == store.list_staff()[0]
    assert store.get_staff("nobody") is None
    partner = Partner(
        "US-CST", "Stanford", ("Green Library", "Stanford CA"), "ill@stanford.example",
        PartnerProtocol.ISO18626, "https://ill.example/iso18626", "docs@stanford.example",
        trusted=True, shared_secret="s",
    )  # fmt: skip
    assert replace(store.create_partner(partner), id=0) == partner
    store.create_partner(Partner("US-MH", active=False))
    assert [p.symbol for p in store.list_partners()] == ["US-CST", "US-MH"]
    assert [p.symbol for p in store.list_partners(active_only=True)] == ["US-CST"]
    store.update_partner(replace(partner, active=False, name="Stanford University"))
    changed = store.get_partner("US-CST")
    assert changed is not None and changed.name == "Stanford University" and not changed.active
    with pytest.raises(UnknownRecord):
        store.update_partner(Partner("NOPE"))


def test_routing_rules_are_listed_replaced_added_and_deleted(store: IllStore) -> None:
    rules = [
        RoutingRule(
            20, S.AWAITING_REQUEST_PROCESSING,
            (Condition(Field.ISSN, Operator.STARTS_WITH, "0028"),
             Condition(Field.PATRON_STATUS, Operator.NOT_EQUALS, "external")),
            new_process_type=D, new_status=S.AWAITING_DOCUMENT_DELIVERY_PROCESSING,
            description="ours", active=False,
        ),
        RoutingRule(10, S.REQUEST_SENT, new_status=S.AWAITING_POST_RECEIPT_PROCESSING),
    ]  # fmt: skip
    store.replace_routing_rules(rules)
    assert store.routing_rules() == sorted(rules, key=lambda rule: rule.number)
    store.add_routing_rule(RoutingRule(15, S.REQUEST_SENT, new_status=S.REQUEST_SENT))
    store.delete_routing_rule(10)
    assert [rule.number for rule in store.routing_rules()] == [15, 20]
    store.replace_routing_rules([])
    assert store.routing_rules() == []
    with pytest.raises(UnknownRecord):
        store.delete_routing_rule(15)


# Transactions


def test_a_transaction_round_trips(store: IllStore, clock: Clock) -> None:
    patron = store.create_patron(Patron("ann"))
    draft = TransactionDraft(
        B, RequestType.COPY, DocumentType.BOOK_CHAPTER, CITATION, patron.id,
        ("US-CST", "US-MH"), None, "X-1", date(2024, 7, 1), Decimal("12.50"), Decimal("2.00"),
        SystemId.OPENURL,
    )  # fmt: skip
    made = store.create_transaction(draft, by="ann")
    assert made.id > 0 and made.version == 1
    assert made.status is S.AWAITING_REQUEST_PROCESSING
    assert made.citation == CITATION
    assert (made.lender_string, made.external_id, made.due_date) == (
        ("US-CST", "US-MH"), "X-1", date(2024, 7, 1),
    )  # fmt: skip
    assert (made.cost, made.fee, made.system_id) == (Decimal("12.50"), Decimal("2.00"),
                                                     SystemId.OPENURL)  # fmt: skip
    assert made.created == made.updated == clock.now
    (created,) = made.history
    assert (created.by, created.from_status, created.to_status) == ("ann", None, made.status)
    assert store.get_transaction(made.id) == made
    with pytest.raises(UnknownRecord):
        store.get_transaction(made.id + 100)


def test_an_update_writes_fields_against_the_version_read(store: IllStore) -> None:
    made = store.create_transaction(book(), by="ann")
    edited = replace(made, citation=CITATION, due_date=date(2024, 8, 1), lender_string=("A",))
    updated = store.update_transaction(edited, by="staff")
    assert updated.citation == CITATION and updated.version == 2
    assert updated.lender_string == ("A",) and updated.due_date == date(2024, 8, 1)
    with pytest.raises(VersionConflict):
        store.update_transaction(edited, by="staff")
    with pytest.raises(IllStoreError, match="change_status"):
        store.update_transaction(replace(updated, status=S.REQUEST_SENT), by="staff")


def test_a_status_change_is_recorded_and_bumps_version_and_time(
    store: IllStore, clock: Clock
) -> None:
    made = store.create_transaction(book(), by="ann")
    clock.tick(3600)
    moved = store.change_status(made.id, S.REQUEST_IN_PROCESSING, "staff", note="looking")
    assert moved.status is S.REQUEST_IN_PROCESSING
    assert moved.version == 2 and moved.updated == clock.now and moved.created == made.created
    last = moved.history[-1]
    assert (last.by, last.at, last.note) == ("staff", clock.now, "looking")
    assert (last.from_status, last.to_status) == (S.AWAITING_REQUEST_PROCESSING, moved.status)
    assert store.status_history(made.id) == list(moved.history)


def test_a_refused_change_changes_nothing(store: IllStore) -> None:
    made = store.create_transaction(book(), by="ann")
    with pytest.raises(TransitionRefused, match="cannot go to"):
        store.change_status(made.id, S.CHECKED_OUT_TO_CUSTOMER, "staff")
    with pytest.raises(TransitionRefused, match="not possible"):
        store.apply_action(made.id, Action.CHECK_IN, "staff")
    assert store.get_transaction(made.id) == made


def test_a_move_to_another_process(store: IllStore) -> None:
    made = store.create_transaction(book(), by="ann")
    moved = store.change_status(
        made.id, S.AWAITING_DOCUMENT_DELIVERY_PROCESSING, "staff", to_process=D
    )
    assert moved.process_type is D
    assert moved.history[-1].from_process is B and moved.history[-1].to_process is D


def test_a_failure_midway_leaves_nothing_changed(
    store: IllStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = store.create_transaction(book(), by="ann")
    counts = store.queue_counts()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("routing fell over")

    monkeypatch.setattr(store_module, "route", broken)
    with pytest.raises(RuntimeError):
        store.change_status(made.id, S.REQUEST_IN_PROCESSING, "staff")
    with pytest.raises(RuntimeError):
        store.create_transaction(book("Another"), by="ann")
    monkeypatch.undo()
    assert store.get_transaction(made.id) == made
    assert store.queue_counts() == counts
    assert store.search("Another") == []


def test_a_failing_flush_leaves_nothing_changed(
    store: IllStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = store.create_transaction(book(), by="ann")
    real_route = routing.route
    calls = []

    def route_then_fail(*args: object, **kwargs: object) -> object:
        calls.append(1)
        routed = real_route(*args, **kwargs)  # type: ignore[arg-type]
        monkeypatch.setattr(
            sqlalchemy.orm.Session, "flush", lambda *_a, **_k: (_ for _ in ()).throw(OSError())
        )
        return routed

    monkeypatch.setattr(store_module, "route", route_then_fail)
    with pytest.raises(OSError):
        store.apply_action(made.id, Action.SEND_REQUEST, "staff")
    monkeypatch.undo()
    assert calls == [1]
    assert store.get_transaction(made.id) == made


def test_a_stale_change_is_refused(store: IllStore) -> None:
    made = store.create_transaction(book(), by="ann")
    store.change_status(made.id, S.REQUEST_IN_PROCESSING, "ann", expected_version=made.version)
    with pytest.raises(VersionConflict, match="version 1, now 2"):
        store.change_status(made.id, S.REQUEST_SENT, "bob", expected_version=made.version)
    with pytest.raises(VersionConflict):
        store.apply_action(made.id, Action.SEND_REQUEST, "bob", expected_version=made.version)
    assert store.get_transaction(made.id).status is S.REQUEST_IN_PROCESSING


def test_concurrent_changes_do_not_interleave(new_store: NewStore) -> None:
    stores = [new_store() for _ in range(4)]
    made = stores[0].create_transaction(book(), by="ann")
    barrier = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def press(store: IllStore) -> None:
        barrier.wait()
        try:
            store.apply_action(made.id, Action.START_PROCESSING, "staff")
            outcomes.append("moved")
        except TransitionRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=press, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "refused", "refused", "refused"]
    final = stores[0].get_transaction(made.id)
    assert final.version == 2 and len(final.history) == 2


def test_sending_walks_the_lender_string(store: IllStore) -> None:
    made = store.create_transaction(book(lender_string=("US-CST", "US-MH")), by="ann")
    sent = store.apply_action(made.id, Action.SEND_REQUEST, "staff")
    assert sent.partner == "US-CST"
    store.apply_action(made.id, Action.CANNOT_FILL, "staff")
    resent = store.apply_action(made.id, Action.SEND_REQUEST, "staff")
    assert resent.partner == "US-MH" and resent.status is S.REQUEST_SENT
    store.apply_action(made.id, Action.CANNOT_FILL, "staff")
    with pytest.raises(LenderStringExhausted, match="has been tried"):
        store.apply_action(made.id, Action.SEND_REQUEST, "staff")
    assert store.get_transaction(made.id).status is S.AWAITING_UNFILLED_PROCESSING


def test_a_loan_goes_the_whole_way(store: IllStore) -> None:
    made = store.create_transaction(book(lender_string=("US-CST",)), by="ann")
    path = [
        Action.START_PROCESSING, Action.SEND_REQUEST, Action.MARK_RECEIVED,
        Action.NOTIFY_CUSTOMER, Action.CHECK_OUT, Action.REQUEST_RENEWAL, Action.RENEW,
        Action.CHECK_IN, Action.RETURN_TO_LENDER, Action.PRINT_RETURN_LABEL,
    ]  # fmt: skip
    for action in path:
        done = store.apply_action(made.id, action, "staff")
        assert done.history[-1].note == action.label
    assert done.status is S.REQUEST_FINISHED and done.version == len(path) + 1
    chain_is_consistent(store, made.id)


# Notes and locks


def test_notes_are_kept_with_their_visibility(store: IllStore, clock: Clock) -> None:
    made = store.create_transaction(book(), by="ann")
    store.add_note(made.id, "staff", "Called the lender")
    visible = store.add_note(made.id, "staff", "On its way", patron_visible=True)
    assert visible.at == clock.now and visible.id > 0
    assert [n.text for n in store.notes(made.id)] == ["Called the lender", "On its way"]
    assert store.notes(made.id, patron_visible_only=True) == [visible]


def test_soft_locks(store: IllStore, clock: Clock) -> None:
    made = store.create_transaction(book(), by="ann")
    lock = store.take_lock(made.id, "ann")
    assert store.current_lock(made.id) == lock
    assert store.queue(S.AWAITING_REQUEST_PROCESSING)[0].lock == lock
    with pytest.raises(Locked, match="ann has had this transaction open"):
        store.take_lock(made.id, "bob")
    with pytest.raises(Locked):
        store.change_status(made.id, S.REQUEST_IN_PROCESSING, "bob")
    with pytest.raises(Locked):
        store.release_lock(made.id, "bob")
    store.change_status(made.id, S.REQUEST_IN_PROCESSING, "ann")
    store.apply_action(made.id, Action.SEND_REQUEST, "bob", force=True)
    clock.tick(15 * 60)
    assert store.current_lock(made.id) is None
    assert store.take_lock(made.id, "bob").holder == "bob"
    store.take_lock(made.id, "ann", force=True)
    store.release_lock(made.id, "ann")
    assert store.current_lock(made.id) is None
    assert store.get_transaction(made.id).lock is None


# Routing and copyright in the store


def test_routing_runs_on_creation_and_on_every_change(store: IllStore) -> None:
    patron = store.create_patron(Patron("ann", cleared=ClearedState.NEW))
    store.replace_routing_rules([
        RoutingRule(1, S.AWAITING_REQUEST_PROCESSING,
                    (Condition(Field.CLEARED, Operator.EQUALS, "new"),),
                    new_status=S.REQUEST_IN_PROCESSING),
        RoutingRule(2, S.AWAITING_UNFILLED_PROCESSING, new_status=S.REQUEST_IN_PROCESSING),
    ])  # fmt: skip
    made = store.create_transaction(book(patron_id=patron.id), by="ann")
    assert made.status is S.REQUEST_IN_PROCESSING
    assert [(h.by, h.note) for h in made.history] == [
        ("ann", "created"),
        ("routing", "routing rule 1"),
    ]
    store.apply_action(made.id, Action.SEND_REQUEST, "staff")
    unfilled = store.apply_action(made.id, Action.CANNOT_FILL, "staff")
    assert unfilled.status is S.REQUEST_IN_PROCESSING
    assert [h.to_status for h in unfilled.history[-2:]] == [
        S.AWAITING_UNFILLED_PROCESSING, S.REQUEST_IN_PROCESSING,
    ]  # fmt: skip
    chain_is_consistent(store, made.id)


def test_routing_loops_and_refusals_are_noted_not_followed(new_store: NewStore) -> None:
    store = new_store()
    looping = open_ill_store(store.location, max_hops=3)
    try:
        looping.replace_routing_rules([
            RoutingRule(1, S.AWAITING_REQUEST_PROCESSING, new_status=S.REQUEST_IN_PROCESSING),
            RoutingRule(2, S.REQUEST_IN_PROCESSING, new_status=S.AWAITING_REQUEST_PROCESSING),
            RoutingRule(3, S.REQUEST_SENT, new_status=S.REQUEST_FINISHED),
        ])  # fmt: skip
        made = looping.create_transaction(book(), by="ann")
        assert len(made.history) == 4 and made.status is S.REQUEST_IN_PROCESSING
        assert "stopped after 3 moves (rules 1, 2, 1)" in made.notes[0].text
        sent = looping.apply_action(made.id, Action.SEND_REQUEST, "staff")
        assert sent.status is S.REQUEST_SENT
        assert sent.notes[-1].text.startswith("Routing rule 3 not applied: A borrowing request")
    finally:
        looping.close()


def test_the_sixth_recent_article_from_a_journal_waits_for_clearance(
    store: IllStore, clock: Clock
) -> None:
    made = []
    for _ in range(6):
        made.append(store.create_transaction(article_copy(), by="ann"))
        clock.tick()
    assert [t.status for t in made[:5]] == [S.AWAITING_REQUEST_PROCESSING] * 5
    assert {t.citation.copyright_compliance for t in made[:5]} == {CopyrightCompliance.CCG}
    sixth = made[5]
    assert sixth.status is S.AWAITING_COPYRIGHT_CLEARANCE
    assert (
        sixth.history[-1].by == "copyright" and "beyond the rule of five" in sixth.history[-1].note
    )
    old = store.create_transaction(article_copy(year="2001"), by="ann")
    assert old.status is S.AWAITING_REQUEST_PROCESSING
    assert old.citation.copyright_compliance is CopyrightCompliance.CCL
    cleared = store.apply_action(sixth.id, Action.CLEAR_COPYRIGHT, "staff")
    assert cleared.copyright_cleared and cleared.status is S.REQUEST_IN_PROCESSING
    assert cleared.citation.copyright_compliance is CopyrightCompliance.CCL
    (row,) = store.copyright_report(2024)
    assert (row.journal_title, row.within_guidelines, row.older, row.exceeds) == (
        "Nature", 6, 1, True,
    )  # fmt: skip
    assert store.copyright_report(2023) == []


def test_cancelled_requests_free_a_place_under_the_rule(store: IllStore) -> None:
    made = [store.create_transaction(article_copy(), by="ann") for _ in range(5)]
    store.apply_action(made[0].id, Action.CANCEL, "staff")
    assert store.create_transaction(article_copy(), by="ann").status is (
        S.AWAITING_REQUEST_PROCESSING
    )


# Queues, lists, search


def test_queues_list_oldest_first_and_count(store: IllStore, clock: Clock) -> None:
    ids = []
    for title in ("First", "Second", "Third"):
        ids.append(store.create_transaction(book(title), by="ann").id)
        clock.tick()
    lending = store.create_transaction(
        TransactionDraft(L, RequestType.LOAN, DocumentType.BOOK, Citation(title="Lent")),
        by="partner",
    )
    store.apply_action(ids[1], Action.START_PROCESSING, "staff")
    queue = store.queue(S.AWAITING_REQUEST_PROCESSING, B)
    assert [item.id for item in queue] == [ids[0], ids[2]]
    assert [item.title for item in store.queue(S.AWAITING_REQUEST_PROCESSING, offset=1)] == [
        "Third"
    ]
    assert store.queue(S.AWAITING_REQUEST_PROCESSING, L) == []
    assert store.queue_counts() == {
        (B, S.AWAITING_REQUEST_PROCESSING): 2,
        (B, S.REQUEST_IN_PROCESSING): 1,
        (L, S.AWAITING_LENDING_REQUEST_PROCESSING): 1,
    }
    assert store.queue(S.AWAITING_LENDING_REQUEST_PROCESSING)[0].id == lending.id


def test_patron_lists(store: IllStore, clock: Clock) -> None:
    ann = store.create_patron(Patron("ann"))
    bob = store.create_patron(Patron("bob"))
    _open, finished, cancelled, _newer = (
        store.create_transaction(book(title, patron_id=ann.id), by="ann")
        for title in ("Open", "Finished", "Cancelled", "Newer")
    )
    store.create_transaction(book("Bob's", patron_id=bob.id), by="bob")
    for action in (Action.SEND_REQUEST, Action.MARK_RECEIVED, Action.DELIVER_TO_WEB,
                   Action.FINISH):  # fmt: skip
        store.apply_action(finished.id, action, "staff")
    store.apply_action(cancelled.id, Action.CANCEL_BY_CUSTOMER, "ann")

    def titles(kind: PatronList) -> list[str]:
        return [t.citation.title for t in store.transactions_for_patron(ann.id, kind)]

    assert titles(PatronList.OUTSTANDING) == ["Newer", "Open"]
    assert titles(PatronList.HISTORY) == ["Finished"]
    assert titles(PatronList.CANCELLED) == ["Cancelled"]
    assert store.transactions_for_patron(ann.id)[0].history  # lists carry the history


def test_search_by_number_title_patron_and_status(store: IllStore) -> None:
    ann = store.create_patron(Patron("ann"))
    moby = store.create_transaction(book("Moby-Dick", patron_id=ann.id), by="ann")
    copy = store.create_transaction(article_copy("Journal of Odd% Things"), by="ann")
    assert [i.id for i in store.search(str(moby.id))] == [moby.id]
    assert [i.id for i in store.search("moby")] == [moby.id]
    assert [i.id for i in store.search("odd%")] == [copy.id]
    assert [i.id for i in store.search(patron="ann")] == [moby.id]
    assert {i.id for i in store.search(status=S.AWAITING_REQUEST_PROCESSING)} == {
        moby.id, copy.id,
    }  # fmt: skip
    (item,) = store.search("odd%")
    assert (item.title, item.source) == ("A finding", "Journal of Odd% Things")


# Reports


def test_reports(store: IllStore, clock: Clock) -> None:
    start = clock.now
    loan = store.create_transaction(book(lender_string=("US-CST",)), by="ann")
    store.apply_action(loan.id, Action.SEND_REQUEST, "staff")
    clock.tick(2 * 86400)
    store.apply_action(loan.id, Action.MARK_RECEIVED, "staff")
    copy = store.create_transaction(article_copy(), by="ann")
    store.apply_action(copy.id, Action.CANCEL, "staff")
    for partner, actions in [
        ("US-MH", [Action.SEARCH_STACKS, Action.PRINT_PULL_SLIP, Action.FILL, Action.CHECK_IN]),
        ("US-MH", [Action.CANNOT_FILL]),
        ("US-NIC", []),
    ]:
        lent = store.create_transaction(
            TransactionDraft(L, RequestType.LOAN, DocumentType.BOOK, partner=partner), by="x"
        )
        for action in actions:
            store.apply_action(lent.id, action, "staff")
    by_status = {(r.process_type, r.status): r.count for r in store.requests_by_status()}
    assert by_status[(B, S.AWAITING_POST_RECEIPT_PROCESSING)] == 1
    assert by_status[(L, S.REQUEST_FINISHED)] == 1
    (turnaround, lent_turnaround) = store.turnaround()
    assert (turnaround.process_type, turnaround.request_type) == (B, RequestType.LOAN)
    assert turnaround.filled == 1 and turnaround.mean_days == pytest.approx(2.0)
    assert lent_turnaround.process_type is L
    rates = {rate.process_type: rate for rate in store.fill_rate()}
    assert (rates[B].closed, rates[B].filled, rates[B].rate) == (1, 0, 0.0)
    assert (rates[L].closed, rates[L].filled, rates[L].rate) == (2, 1, 0.5)
    by_partner = [(r.partner, r.requests, r.filled, r.unfilled, r.open)
                  for r in store.lending_by_partner()]  # fmt: skip
    assert by_partner == [("US-MH", 2, 1, 1, 0), ("US-NIC", 1, 0, 0, 1)]
    assert store.requests_by_status(since=clock.now + timedelta(days=1)) == []
    assert store.fill_rate(until=start)[0].closed == 0


def test_the_sample_fills_an_empty_store(store: IllStore) -> None:
    assert fill_sample(store, admin_password="admin") == 20
    admin = store.get_staff("admin")
    assert admin is not None and verify_password(admin.password_hash, "admin")
    counts = store.queue_counts()
    assert sum(counts.values()) == 20 and len(counts) >= 12
    assert fill_sample(store) == 0


# Any sequence of actions


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    process=st.sampled_from(list(ProcessType)),
    actions=st.lists(st.sampled_from(list(Action)), max_size=12),
)
def test_any_actions_keep_a_consistent_history(
    store: IllStore, process: ProcessType, actions: list[Action]
) -> None:
    draft = TransactionDraft(
        process, RequestType.LOAN, DocumentType.BOOK, lender_string=("A", "B", "C", "D")
    )
    made = store.create_transaction(draft, by="staff")
    expected = INITIAL[process]
    for action in actions:
        try:
            target = action_target(process, expected, action)
        except TransitionRefused:
            with pytest.raises(TransitionRefused):
                store.apply_action(made.id, action, "staff")
            continue
        try:
            moved = store.apply_action(made.id, action, "staff")
        except LenderStringExhausted:
            continue
        assert moved.status is target
        expected = target
        assert moved.status in allowed(process)
    chain_is_consistent(store, made.id)


# Queue counts, kept by the database


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(list(Action)), max_size=12))
def test_queue_counts_always_equal_a_fresh_count(store: IllStore, actions: list[Action]) -> None:
    patron = store.find_patron("counts") or store.create_patron(Patron("counts"))
    made = store.create_transaction(
        TransactionDraft(
            ProcessType.BORROWING,
            RequestType.LOAN,
            DocumentType.BOOK,
            Citation(title="Counted"),
            patron_id=patron.id,
            lender_string=("AAA",),
        ),
        by="staff",
    )
    for action in actions:
        with contextlib.suppress(TransitionRefused, LenderStringExhausted):
            store.apply_action(made.id, action, "staff")
    with store.engine.connect() as connection:
        counted = {
            (ProcessType(p), Status(s)): n
            for p, s, n in connection.execute(
                sqlalchemy.text(
                    "SELECT process_type, status, count(*) FROM ill_transactions "
                    "GROUP BY process_type, status"
                )
            )
        }
    assert store.queue_counts() == counted
    for (process, status), number in counted.items():
        assert store.queue_count(status, process) == number
