"""Every message shelfnet writes is valid against the schema of the version it claims."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings

from shelfnet.ill.protocols.iso18626.messages import (
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
    Message,
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
    RequestSubType,
    RequestType,
    ReturnInfo,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyStatus,
    Version,
)
from shelfnet.ill.protocols.iso18626.writer import WriteError, write_message
from tests.unit.ill.iso18626 import strategies

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NYU = AgencyId("ISIL", "US-NYU")
CST = AgencyId("ISIL", "US-CST")


@cache
def _schema(version: Version) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(strategies.schema_path(version)))


def assert_valid(message: Message, version: Version) -> bytes:
    document = write_message(message, version)
    errors = list(_schema(version).iter_errors(document.decode()))
    assert not errors, f"{errors[0]}\n{document.decode()}"
    return document


def full_request() -> Request:
    home = PhysicalAddress("1 Main St", "Room 2", "New York", "10012", "NY", SchemeValue("US"))
    return Request(
        header=Header(
            NYU,
            "NYU-42",
            NOW,
            CST,
            multiple_item_request_id="M1",
            authentication=Authentication("nyu", "s3cret"),
            consortial_id=AgencyId("ISIL", "US-BD"),
        ),
        bibliographic_info=BibliographicInfo(
            "rec-1",
            "Journal of Things",
            "Author, A.",
            "0000000121032683",
            "A subtitle",
            "Series",
            "2nd",
            "On things",
            "Writer, W.",
            "12",
            "3",
            "10-20",
            "11",
            (BibliographicItemId(SchemeValue("ISSN"), "1234-5678"),),
            "Sponsor",
            "Google Scholar",
            (BibliographicRecordId(SchemeValue("OCLC"), "123456"),),
        ),
        publication_info=PublicationInfo(
            "Pub", "ISNI-1", SchemeValue("Article", "http://example.org/types"), "2020", "Oslo"
        ),
        service_info=ServiceInfo(
            ServiceType.COPY,
            RequestType.NEW,
            (RequestSubType.PATRON_REQUEST,),
            "prev-1",
            SchemeValue("Normal"),
            SchemeValue("PDF"),
            NOW,
            SchemeValue("US-CCG"),
            True,
            PreferredEdition.ANY_EDITION,
            (SchemeValue("LibraryUseOnly"),),
            NOW,
            NOW,
            "Please hurry",
        ),
        supplier_info=(
            SupplierInfo(
                1,
                CST,
                "Stanford",
                BibliographicRecordId(SchemeValue("OCLC"), "1"),
                "QA1",
                "v.1-",
                "On shelf",
            ),
        ),
        requested_delivery_info=(
            RequestedDeliveryInfo(
                0,
                ElectronicAddress(SchemeValue("email"), "ill@nyu.example"),
                SchemeValue("Email"),
                SchemeValue("UPS"),
            ),
            RequestedDeliveryInfo(1, home),
        ),
        requesting_agency_info=RequestingAgencyInfo("NYU", "ILL office", (home,)),
        patron_info=PatronInfo("p1", "Doe", "Jane", SchemeValue("Faculty"), False, (home,)),
        billing_info=BillingInfo(
            SchemeValue("Account"),
            Costs("USD", Decimal("25.00")),
            SchemeValue("Invoice"),
            "NYU",
            home,
        ),
    )


def full_supplying() -> SupplyingAgencyMessage:
    return SupplyingAgencyMessage(
        header=Header(NYU, "NYU-42", NOW, CST, supplying_agency_request_id="7"),
        message_info=MessageInfo(
            ReasonForMessage.STATUS_CHANGE,
            True,
            "Sent today",
            SchemeValue("NotOnShelf"),
            SchemeValue("CostExceedsMaxCost"),
            Costs("USD", Decimal("10")),
            NOW,
            NOW,
        ),
        status_info=StatusInfo(SupplyStatus.LOANED, NOW, NOW, datetime(2027, 1, 1)),
        delivery_info=DeliveryInfo(
            NOW,
            "barcode-1",
            SchemeValue("Mail"),
            False,
            SchemeValue("NoReproduction"),
            SchemeValue("Book"),
            Costs("USD", Decimal("1.5")),
            "https://example.org/doc",
        ),
        return_info=ReturnInfo(CST, "Stanford ILL", PhysicalAddress("557 Escondido Mall")),
    )


@pytest.mark.parametrize("version", list(Version))
@pytest.mark.parametrize("make", [full_request, full_supplying], ids=["request", "supplying"])
def test_a_full_message_is_valid_in_both_versions(version: Version, make: object) -> None:
    assert_valid(make(), version)  # type: ignore[operator]


@pytest.mark.parametrize("version", list(Version))
def test_a_confirmation_with_errors_is_valid(version: Version) -> None:
    header = ConfirmationHeader(NOW, NOW, MessageStatus.ERROR, CST, NYU, "NYU-42", "M1")
    errors = (
        ErrorData(ErrorType.BADLY_FORMED_MESSAGE, "XML"),
        ErrorData(ErrorType.UNRECOGNISED_DATA_VALUE),
    )
    document = assert_valid(RequestConfirmation(header, errors), version)
    assert document.count(b"<errorData>") == (2 if version is Version.V2021 else 1)


def test_the_version_attribute_is_in_the_iso_18626_namespace() -> None:
    document = write_message(full_request(), Version.V1_2)
    assert b'ill:version="1.2"' in document
    assert b'xmlns:ill="http://illtransactions.org/2013/iso18626"' in document
    assert b'ill:version="2021"' in write_message(full_request(), Version.V2021)


def test_the_bibliographic_item_id_order_follows_each_schema() -> None:
    old = write_message(full_request(), Version.V1_2).decode()
    new = write_message(full_request(), Version.V2021).decode()
    assert old.index("<bibliographicItemIdentifier>") < old.index(
        "<bibliographicItemIdentifierCode>"
    )
    assert new.index("<bibliographicItemIdentifierCode>") < new.index(
        "<bibliographicItemIdentifier>"
    )


def test_2021_only_codes_cannot_be_written_in_1_2() -> None:
    message = RequestingAgencyMessage(Header(NYU, "1", NOW, CST), RequestingAction.LOST)
    with pytest.raises(WriteError, match="Lost"):
        write_message(message, Version.V1_2)
    assert_valid(message, Version.V2021)


def test_1_2_needs_a_supplying_agency_and_2021_a_service_type() -> None:
    with pytest.raises(WriteError, match="supplying agency"):
        write_message(Request(Header(NYU, "1", NOW)), Version.V1_2)
    with pytest.raises(WriteError, match="serviceInfo"):
        write_message(Request(Header(NYU, "1", NOW)), Version.V2021)


def test_characters_xml_cannot_hold_are_dropped() -> None:
    message = RequestingAgencyMessage(
        Header(NYU, "1", NOW, CST), RequestingAction.RECEIVED, "a\x00b\x1bc"
    )
    assert b"<note>abc</note>" in assert_valid(message, Version.V1_2)


def test_dates_are_written_as_xs_datetime() -> None:
    naive = StatusInfo(
        SupplyStatus.LOANED,
        datetime(2026, 1, 2, 3, 4, 5),
        due_date=datetime.combine(date(2027, 1, 1), datetime.min.time()),
    )
    message = SupplyingAgencyMessage(
        Header(NYU, "1", NOW, CST), MessageInfo(ReasonForMessage.STATUS_CHANGE), naive
    )
    document = assert_valid(message, Version.V1_2)
    assert b"<timestamp>2026-11-23T12:00:00Z</timestamp>" in document
    assert b"<lastChange>2026-01-02T03:04:05</lastChange>" in document


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(strategies.messages(Version.V1_2))
def test_every_1_2_message_is_valid(message: Message) -> None:
    assert_valid(message, Version.V1_2)


@_SETTINGS
@given(strategies.messages(Version.V2021))
def test_every_2021_message_is_valid(message: Message) -> None:
    assert_valid(message, Version.V2021)
