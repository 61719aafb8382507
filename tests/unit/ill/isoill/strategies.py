"""Hypothesis strategies for ISO ILL APDUs."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from shelfnet.ill.protocols.isoill import apdus as a

texts = st.text(st.characters(codec="utf-8"), max_size=20)
dates = st.from_regex(r"\A(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])\Z")
times = st.from_regex(r"\A([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]\Z")


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


system_ids = st.builds(
    lambda symbol, name, person_symbol, person_name: a.SystemId(
        symbol, name, person_symbol and symbol is not None, person_name and name is not None
    ),
    opt(texts),
    opt(texts),
    st.booleans(),
    st.booleans(),
)
transaction_ids = st.builds(
    a.TransactionId,
    group_qualifier=texts,
    qualifier=texts,
    initial_requester=opt(system_ids),
    sub_qualifier=opt(texts),
)
service_date_times = st.builds(
    lambda date, time, original, original_time: a.ServiceDateTime(
        date, time, original, original_time if original else None
    ),
    dates,
    opt(times),
    opt(dates),
    opt(times),
)
header: dict[str, Any] = {
    "transaction_id": transaction_ids,
    "service_date_time": service_date_times,
    "requester_id": opt(system_ids),
    "responder_id": opt(system_ids),
    "protocol_version": st.sampled_from([1, 2]),
}
postal = st.builds(
    a.PostalAddress,
    name=opt(st.builds(a.SystemId, name=texts, name_is_person=st.booleans())),
    street_and_number=opt(texts),
    city=opt(texts),
    postal_code=opt(texts),
    country=opt(texts),
)
electronic = st.builds(
    a.SystemAddress, telecom_service_identifier=opt(texts), telecom_service_address=opt(texts)
)
item_ids = st.builds(
    a.ItemId,
    **{name: opt(texts) for name in a.typed_fields(a.ItemId) if name != "item_type"},
    item_type=opt(st.sampled_from(a.ItemType)),
)
amounts = st.builds(
    a.Amount,
    monetary_value=st.from_regex(r"\A[0-9]{1,5}\.[0-9]{2}\Z"),
    currency_code=opt(st.sampled_from(["USD", "EUR"])),
)
date_dues = st.builds(a.DateDue, date=dates, renewable=st.booleans())

ill_requests = st.builds(
    a.IllRequest,
    **header,
    item_id=item_ids,
    service_types=st.lists(st.sampled_from(a.ServiceType), min_size=1, max_size=5).map(tuple),
    requester_optional_messages=st.builds(
        a.RequesterOptionalMessages,
        can_send_received=st.booleans(),
        can_send_returned=st.booleans(),
        requester_shipped=st.sampled_from(a.MessageWish),
        requester_checked_in=st.sampled_from(a.MessageWish),
    ),
    transaction_type=st.sampled_from(a.TransactionType),
    delivery_address=opt(
        st.builds(a.DeliveryAddress, postal=opt(postal), electronic=opt(electronic))
    ),
    delivery_service=opt(texts),
    search_type=opt(
        st.builds(
            a.SearchType,
            level_of_service=opt(texts),
            need_before_date=opt(dates),
            expiry_flag=st.sampled_from(a.ExpiryFlag),
            expiry_date=opt(dates),
        )
    ),
    supply_medium_info=opt(
        st.lists(
            st.builds(
                a.SupplyMediumInfo,
                medium=st.sampled_from(a.SupplyMediumType),
                characteristics=opt(texts),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple)
    ),
    place_on_hold=st.sampled_from(a.PlaceOnHold),
    client_id=opt(st.builds(a.ClientId, name=opt(texts), status=opt(texts), identifier=opt(texts))),
    cost_info=opt(
        st.builds(
            a.CostInfo,
            account_number=opt(texts),
            maximum_cost=opt(amounts),
            will_pay_fee=st.booleans(),
        )
    ),
    copyright_compliance=opt(texts),
    retry_flag=st.booleans(),
    forward_flag=st.booleans(),
    note=opt(texts),
    forward_note=opt(texts),
)

error_reports = st.one_of(
    st.builds(
        a.ErrorReport,
        texts,
        st.sampled_from(a.ReportSource),
        general_problem=st.sampled_from(a.GeneralProblem),
    ),
    st.builds(
        a.ErrorReport,
        texts,
        st.sampled_from(a.ReportSource),
        transaction_id_problem=st.sampled_from(a.TransactionIdProblem),
    ),
    st.builds(
        a.ErrorReport,
        texts,
        st.sampled_from(a.ReportSource),
        state_transition_prohibited=st.builds(
            a.StateTransitionProhibited,
            st.sampled_from(a.ApduType),
            st.sampled_from(a.CurrentState),
        ),
        unable_to_perform=opt(st.sampled_from(a.UnableToPerform)),
    ),
)
status_reports = st.builds(
    a.StatusReport,
    history=st.builds(
        a.HistoryReport,
        date_of_last_transition=dates,
        most_recent_service=st.sampled_from([kind.identifier for kind in a.ApduType]),
        date_of_most_recent_service=dates,
        initiator_of_most_recent_service=system_ids,
        title=opt(texts),
        transaction_results=opt(st.sampled_from(a.TransactionResults)),
    ),
    current_state=st.sampled_from(a.CurrentState),
)

others = st.one_of(
    st.builds(
        a.ForwardNotification,
        **{**header, "responder_id": system_ids},
        intermediary_id=system_ids,
        note=opt(texts),
    ),
    st.builds(
        a.Shipped,
        **header,
        shipped_service_type=st.sampled_from(
            [a.ServiceType.LOAN, a.ServiceType.COPY_NON_RETURNABLE]
        ),
        supply_details=st.builds(
            a.SupplyDetails, date_shipped=opt(dates), date_due=opt(date_dues), cost=opt(amounts)
        ),
        note=opt(texts),
    ),
    st.builds(
        a.IllAnswer,
        **header,
        transaction_results=st.sampled_from(a.TransactionResults),
        results_explanation=opt(st.just(("unfilled-results", {"reason-unfilled": "not-owned"}))),
        note=opt(texts),
    ),
    st.builds(a.ConditionalReply, **header, answer=st.booleans(), note=opt(texts)),
    st.builds(a.Cancel, **header, note=opt(texts)),
    st.builds(a.CancelReply, **header, answer=st.booleans(), note=opt(texts)),
    st.builds(a.Received, **header, date_received=dates, supplier_id=opt(system_ids)),
    st.builds(a.Recall, **header, note=opt(texts)),
    st.builds(
        a.Returned, **header, date_returned=dates, returned_via=opt(texts), insured_for=opt(amounts)
    ),
    st.builds(a.CheckedIn, **header, date_checked_in=dates),
    st.builds(a.Overdue, **header, date_due=date_dues),
    st.builds(a.Renew, **header, desired_due_date=opt(dates)),
    st.builds(a.RenewAnswer, **header, answer=st.booleans(), date_due=opt(date_dues)),
    st.builds(a.Lost, **header, note=opt(texts)),
    st.builds(a.Damaged, **header, note=opt(texts)),
    st.builds(a.Message, **header, note=texts),
    st.builds(a.StatusQuery, **header, note=opt(texts)),
    st.builds(
        a.StatusOrErrorReport,
        **header,
        reason_no_report=opt(st.sampled_from(a.ReasonNoReport)),
        status_report=opt(status_reports),
        error_report=opt(error_reports),
        note=opt(texts),
    ),
    st.builds(a.Expired, **header),
)

all_apdus = ill_requests | others
