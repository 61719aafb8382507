"""Hypothesis strategies for ISO 18626 messages, one set per version: a message drawn for a
version uses only what that version can carry, so writing and reading it gives it back."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import strategies as st

from shelfnet.ill.protocols.iso18626.messages import (
    ONLY_2021,
    AgencyId,
    Authentication,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    ConfirmationHeader,
    Costs,
    DeliveryInfo,
    ElectronicAddress,
    ErrorData,
    ErrorType,
    Header,
    MessageInfo,
    MessageStatus,
    PatronInfo,
    PhysicalAddress,
    PreferredEdition,
    PublicationInfo,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestedDeliveryInfo,
    RequestingAction,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    RequestSubType,
    RequestType,
    ReturnInfo,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    SupplyStatus,
    Version,
)

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

SCHEMAS = Path(__file__).resolve().parents[4].parent / "shared" / "schemas"
SCHEMA_FILES = {
    Version.V1_2: SCHEMAS / "ISO-18626-v1_2.xsd",
    Version.V2021: SCHEMAS / "ISO-18626-2021-2.xsd",
}


def schema_path(version: Version) -> Path:
    path = SCHEMA_FILES[version]
    if not path.exists():
        pytest.skip(f"ISO 18626 schema {path} is not here (it lives in ../shared/schemas)")
    return path


text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=12)
word = st.from_regex(r"[A-Za-z0-9-]{1,10}", fullmatch=True)
moment = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(st.none(), st.just(UTC)),
)
pair = st.builds(SchemeValue, text, st.one_of(st.just(""), st.just("http://example.org/codes")))
agency = st.builds(AgencyId, st.sampled_from(["ISIL", "OCLC"]), word)
costs = st.builds(
    Costs,
    st.from_regex(r"[A-Z]{3}", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-9999, max_value=9999),
)


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


def small_tuple(strategy: st.SearchStrategy[T], size: int = 2) -> st.SearchStrategy[tuple[T, ...]]:
    return st.lists(strategy, max_size=size).map(tuple)


def codes(kind: type[E], version: Version) -> st.SearchStrategy[E]:
    allowed = [c for c in kind if version is Version.V2021 or c not in ONLY_2021]
    return st.sampled_from(allowed)


def only(version: Version, strategy: st.SearchStrategy[T], default: T) -> st.SearchStrategy[T]:
    return strategy if version is Version.V2021 else st.just(default)


def physical(version: Version) -> st.SearchStrategy[PhysicalAddress]:
    return st.builds(PhysicalAddress, text, text, text, text, text, optional(pair))


def address(version: Version) -> st.SearchStrategy[ElectronicAddress | PhysicalAddress]:
    return st.one_of(st.builds(ElectronicAddress, pair, text), physical(version))


def header(version: Version, kind: str) -> st.SearchStrategy[Header]:
    v2021 = version is Version.V2021
    return st.builds(
        Header,
        requesting_agency_id=agency,
        requesting_agency_request_id=text,
        timestamp=moment,
        supplying_agency_id=optional(agency) if v2021 and kind == "request" else agency,
        multiple_item_request_id=text if not v2021 or kind == "request" else st.just(""),
        supplying_agency_request_id=st.just("") if v2021 and kind == "request" else text,
        authentication=st.none()
        if v2021 and kind == "supplying"
        else optional(st.builds(Authentication, text, text)),
        consortial_id=optional(agency) if v2021 and kind != "supplying" else st.none(),
    )


_BIB_TEXTS = [
    "supplier_unique_record_id",
    "title",
    "author",
    "subtitle",
    "series_title",
    "edition",
    "title_of_component",
    "author_of_component",
    "issue",
    "pages_requested",
    "estimated_no_pages",
    "sponsor",
    "information_source",
]


def request(version: Version) -> st.SearchStrategy[Request]:
    v2021 = version is Version.V2021
    sort_order = optional(st.integers(min_value=0 if v2021 else -5, max_value=99))
    bibliographic = st.builds(
        BibliographicInfo,
        **{name: text for name in _BIB_TEXTS},
        author_id=only(version, text, ""),
        volume=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=5).filter(
            lambda v: "; " not in v
        ),
        item_ids=small_tuple(st.builds(BibliographicItemId, pair, text)),
        record_ids=small_tuple(st.builds(BibliographicRecordId, pair, text)),
    )
    service = st.builds(
        ServiceInfo,
        service_type=st.sampled_from(ServiceType),
        request_type=optional(st.sampled_from(RequestType)),
        request_sub_types=small_tuple(st.sampled_from(RequestSubType), 3),
        requesting_agency_previous_request_id=text,
        service_level=optional(pair),
        preferred_format=optional(pair),
        need_before_date=optional(moment),
        copyright_compliance=optional(pair),
        any_edition=optional(st.booleans()),
        preferred_edition=only(version, optional(st.sampled_from(PreferredEdition)), None),
        loan_conditions=only(version, small_tuple(pair), ()),
        start_date=optional(moment),
        end_date=optional(moment),
        note=text,
    )
    return st.builds(
        Request,
        header=header(version, "request"),
        bibliographic_info=bibliographic,
        publication_info=optional(
            st.builds(PublicationInfo, text, only(version, text, ""), optional(pair), text, text)
        ),
        service_info=service if v2021 else optional(service),
        supplier_info=small_tuple(
            st.builds(
                SupplierInfo,
                sort_order,
                optional(agency),
                text,
                optional(st.builds(BibliographicRecordId, pair, text)),
                text,
                text,
                text,
            )
        ),
        requested_delivery_info=small_tuple(
            st.builds(
                RequestedDeliveryInfo,
                sort_order,
                optional(address(version)),
                only(version, optional(pair), None),
                only(version, optional(pair), None),
            )
        ),
        requesting_agency_info=optional(
            st.builds(RequestingAgencyInfo, text, text, small_tuple(address(version)))
        ),
        patron_info=optional(
            st.builds(
                PatronInfo,
                text,
                text,
                text,
                optional(pair),
                optional(st.booleans()),
                small_tuple(address(version)),
            )
        ),
        billing_info=optional(
            st.builds(
                BillingInfo,
                optional(pair),
                optional(costs),
                optional(pair),
                text,
                optional(address(version)),
            )
        ),
    )


def supplying(version: Version) -> st.SearchStrategy[SupplyingAgencyMessage]:
    return st.builds(
        SupplyingAgencyMessage,
        header=header(version, "supplying"),
        message_info=st.builds(
            MessageInfo,
            st.sampled_from(ReasonForMessage),
            optional(st.booleans()),
            text,
            optional(pair),
            optional(pair),
            optional(costs),
            optional(moment),
            optional(moment),
        ),
        status_info=st.builds(
            StatusInfo, codes(SupplyStatus, version), moment, optional(moment), optional(moment)
        ),
        delivery_info=optional(
            st.builds(
                DeliveryInfo,
                moment,
                st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=5).filter(
                    lambda v: "; " not in v
                ),
                optional(pair),
                optional(st.booleans()),
                optional(pair),
                optional(pair),
                optional(costs),
                only(version, text, ""),
            )
        ),
        return_info=optional(
            st.builds(ReturnInfo, optional(agency), text, optional(physical(version)))
        ),
    )


def requesting(version: Version) -> st.SearchStrategy[RequestingAgencyMessage]:
    return st.builds(
        RequestingAgencyMessage,
        header(version, "requesting"),
        codes(RequestingAction, version),
        text,
    )


def confirmation(version: Version) -> st.SearchStrategy[object]:
    v2021 = version is Version.V2021
    head = st.builds(
        ConfirmationHeader,
        moment,
        moment,
        st.sampled_from(MessageStatus),
        optional(agency),
        optional(agency),
        text,
        st.just("") if v2021 else text,
    )
    errors = small_tuple(st.builds(ErrorData, st.sampled_from(ErrorType), text), 3 if v2021 else 1)
    return st.one_of(
        st.builds(RequestConfirmation, head, errors),
        st.builds(
            SupplyingAgencyMessageConfirmation,
            head,
            optional(st.sampled_from(ReasonForMessage)),
            errors,
        ),
        st.builds(
            RequestingAgencyMessageConfirmation,
            head,
            optional(codes(RequestingAction, version)),
            errors,
        ),
    )


def messages(version: Version) -> st.SearchStrategy[object]:
    return st.one_of(
        request(version), supplying(version), requesting(version), confirmation(version)
    )
