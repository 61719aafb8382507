"""Messages -> ISO 18626 XML, in the element order of the version's schema.

Both schemas say ``attributeFormDefault="qualified"``: the ``version`` and ``scheme``
attributes are written in the ISO 18626 namespace (``ill:version="1.2"``), as the schema
wants. Fields the target version has no place for are left out; a message the version
cannot carry at all (a 2021-only code in 1.2, a missing required element) raises
``WriteError``. Characters XML 1.0 cannot hold are dropped from text.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from shelfnet.ill.protocols.iso18626.messages import (
    NAMESPACE,
    ONLY_2021,
    Address,
    AgencyId,
    BibliographicInfo,
    BillingInfo,
    ConfirmationHeader,
    Costs,
    DeliveryInfo,
    ElectronicAddress,
    ErrorData,
    Header,
    Message,
    MessageInfo,
    PatronInfo,
    PhysicalAddress,
    PublicationInfo,
    Request,
    RequestConfirmation,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    ReturnInfo,
    SchemeValue,
    ServiceInfo,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    Version,
)

_NSMAP = {None: NAMESPACE, "ill": NAMESPACE}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class WriteError(ValueError):
    """The message cannot be written in the version asked for; the sentence says why."""


def write_message(message: Message, version: Version) -> bytes:
    """The message as a UTF-8 XML document with its declaration."""
    root = etree.Element(_q("ISO18626Message"), nsmap=_NSMAP)
    root.set(_q("version"), version.value)
    _Writer(version).message(root, message)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = _clean(text)
    return element


def _text(parent: etree._Element, name: str, value: str) -> None:
    if value:
        _sub(parent, name, value)


def _pair(parent: etree._Element, name: str, pair: SchemeValue | None) -> None:
    if pair is not None:
        element = _sub(parent, name, pair.value)
        if pair.scheme:
            element.set(_q("scheme"), _clean(pair.scheme))


def _pairs(parent: etree._Element, name: str, pairs: Iterable[SchemeValue]) -> None:
    for pair in pairs:
        _pair(parent, name, pair)


def _time(parent: etree._Element, name: str, moment: datetime | None) -> None:
    if moment is not None:
        _sub(parent, name, format_datetime(moment))


def format_datetime(moment: datetime) -> str:
    """xs:dateTime: aware times in UTC with ``Z``, naive ones as they are."""
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _yes_no(parent: etree._Element, name: str, flag: bool | None) -> None:
    if flag is not None:
        _sub(parent, name, "Y" if flag else "N")


def _agency(parent: etree._Element, name: str, agency: AgencyId | None) -> None:
    if agency is None:
        return
    element = _sub(parent, name)
    _pair(element, "agencyIdType", SchemeValue(agency.type, agency.type_scheme))
    _sub(element, "agencyIdValue", agency.value)


def _costs(parent: etree._Element, name: str, costs: Costs | None) -> None:
    if costs is None:
        return
    element = _sub(parent, name)
    _pair(element, "currencyCode", SchemeValue(costs.currency_code))
    _sub(element, "monetaryValue", format_decimal(costs.monetary_value))


def format_decimal(value: Decimal) -> str:
    """xs:decimal: no exponent."""
    if not value.is_finite():
        raise WriteError(f"{value} is not an amount of money.")
    return format(value, "f")


def _int(parent: etree._Element, name: str, value: int | None) -> None:
    if value is not None:
        _sub(parent, name, str(value))


class _Writer:
    def __init__(self, version: Version) -> None:
        self.version = version
        self.v2021 = version is Version.V2021

    def _code(self, parent: etree._Element, name: str, code: enum.Enum) -> None:
        if code in ONLY_2021 and not self.v2021:
            raise WriteError(f"{name} {code.value} is not in ISO 18626 1.2.")
        _sub(parent, name, str(code.value))

    def message(self, root: etree._Element, message: Message) -> None:
        match message:
            case Request():
                self.request(_sub(root, "request"), message)
            case SupplyingAgencyMessage():
                self.supplying(_sub(root, "supplyingAgencyMessage"), message)
            case RequestingAgencyMessage():
                element = _sub(root, "requestingAgencyMessage")
                self.header(element, message.header, "requestingAgencyMessage")
                self._code(element, "action", message.action)
                _text(element, "note", message.note)
            case RequestConfirmation():
                element = _sub(root, "requestConfirmation")
                self.confirmation_header(element, message.header)
                self.errors(element, message.errors)
            case SupplyingAgencyMessageConfirmation():
                element = _sub(root, "supplyingAgencyMessageConfirmation")
                self.confirmation_header(element, message.header)
                if message.reason_for_message is not None:
                    self._code(element, "reasonForMessage", message.reason_for_message)
                self.errors(element, message.errors)
            case RequestingAgencyMessageConfirmation():
                element = _sub(root, "requestingAgencyMessageConfirmation")
                self.confirmation_header(element, message.header)
                if message.action is not None:
                    self._code(element, "action", message.action)
                self.errors(element, message.errors)

    # Headers

    def header(self, parent: etree._Element, header: Header, kind: str) -> None:
        element = _sub(parent, "header")
        if self.v2021:
            self._header_2021(element, header, kind)
            return
        if header.supplying_agency_id is None:
            raise WriteError("ISO 18626 1.2 needs the supplying agency in every header.")
        _agency(element, "supplyingAgencyId", header.supplying_agency_id)
        _agency(element, "requestingAgencyId", header.requesting_agency_id)
        _sub(element, "multipleItemRequestId", header.multiple_item_request_id)
        _time(element, "timestamp", header.timestamp)
        _sub(element, "requestingAgencyRequestId", header.requesting_agency_request_id)
        _text(element, "supplyingAgencyRequestId", header.supplying_agency_request_id)
        self.authentication(element, header)

    def _header_2021(self, element: etree._Element, header: Header, kind: str) -> None:
        if kind != "request" and header.supplying_agency_id is None:
            raise WriteError(f"A 2021 {kind} needs the supplying agency in its header.")
        _agency(element, "supplyingAgencyId", header.supplying_agency_id)
        _agency(element, "requestingAgencyId", header.requesting_agency_id)
        if kind != "supplyingAgencyMessage":
            _agency(element, "consortialId", header.consortial_id)
        if kind == "request":
            _text(element, "multipleItemRequestId", header.multiple_item_request_id)
        _time(element, "timestamp", header.timestamp)
        _sub(element, "requestingAgencyRequestId", header.requesting_agency_request_id)
        if kind != "request":
            _text(element, "supplyingAgencyRequestId", header.supplying_agency_request_id)
        if kind != "supplyingAgencyMessage":
            self.authentication(element, header)

    def authentication(self, parent: etree._Element, header: Header) -> None:
        if header.authentication is None:
            return
        element = _sub(parent, "requestingAgencyAuthentication")
        _text(element, "accountId", header.authentication.account_id)
        _text(element, "securityCode", header.authentication.security_code)

    def confirmation_header(self, parent: etree._Element, header: ConfirmationHeader) -> None:
        element = _sub(parent, "confirmationHeader")
        _agency(element, "supplyingAgencyId", header.supplying_agency_id)
        _agency(element, "requestingAgencyId", header.requesting_agency_id)
        _time(element, "timestamp", header.timestamp)
        _text(element, "requestingAgencyRequestId", header.requesting_agency_request_id)
        if not self.v2021:
            _text(element, "multipleItemRequestId", header.multiple_item_request_id)
        _time(element, "timestampReceived", header.timestamp_received)
        _sub(element, "messageStatus", header.message_status.value)

    def errors(self, parent: etree._Element, errors: tuple[ErrorData, ...]) -> None:
        for error in errors if self.v2021 else errors[:1]:
            element = _sub(parent, "errorData")
            _sub(element, "errorType", error.error_type.value)
            _text(element, "errorValue", error.error_value)

    # The request

    def request(self, element: etree._Element, request: Request) -> None:
        self.header(element, request.header, "request")
        self.bibliographic(_sub(element, "bibliographicInfo"), request.bibliographic_info)
        if request.publication_info is not None:
            self.publication(_sub(element, "publicationInfo"), request.publication_info)
        if request.service_info is not None:
            self.service(_sub(element, "serviceInfo"), request.service_info)
        elif self.v2021:
            raise WriteError("A 2021 request needs serviceInfo (its service type).")
        for supplier in request.supplier_info:
            self.supplier(_sub(element, "supplierInfo"), supplier)
        for delivery in request.requested_delivery_info:
            self.requested_delivery(_sub(element, "requestedDeliveryInfo"), delivery)
        if request.requesting_agency_info is not None:
            self.requesting_agency(
                _sub(element, "requestingAgencyInfo"), request.requesting_agency_info
            )
        if request.patron_info is not None:
            self.patron(_sub(element, "patronInfo"), request.patron_info)
        if request.billing_info is not None:
            self.billing(_sub(element, "billingInfo"), request.billing_info)

    def bibliographic(self, element: etree._Element, info: BibliographicInfo) -> None:
        _text(element, "supplierUniqueRecordId", info.supplier_unique_record_id)
        _text(element, "title", info.title)
        _text(element, "author", info.author)
        if self.v2021:
            _text(element, "authorId", info.author_id)
        _text(element, "subtitle", info.subtitle)
        _text(element, "seriesTitle", info.series_title)
        _text(element, "edition", info.edition)
        _text(element, "titleOfComponent", info.title_of_component)
        _text(element, "authorOfComponent", info.author_of_component)
        _text(element, "volume", info.volume)
        _text(element, "issue", info.issue)
        _text(element, "pagesRequested", info.pages_requested)
        _text(element, "estimatedNoPages", info.estimated_no_pages)
        for item in info.item_ids:
            item_element = _sub(element, "bibliographicItemId")
            if self.v2021:
                _pair(item_element, "bibliographicItemIdentifierCode", item.code)
                _sub(item_element, "bibliographicItemIdentifier", item.identifier)
            else:
                _sub(item_element, "bibliographicItemIdentifier", item.identifier)
                _pair(item_element, "bibliographicItemIdentifierCode", item.code)
        _text(element, "sponsor", info.sponsor)
        _text(element, "informationSource", info.information_source)
        for record in info.record_ids:
            record_element = _sub(element, "bibliographicRecordId")
            _pair(record_element, "bibliographicRecordIdentifierCode", record.code)
            _sub(record_element, "bibliographicRecordIdentifier", record.identifier)

    def publication(self, element: etree._Element, info: PublicationInfo) -> None:
        _text(element, "publisher", info.publisher)
        if self.v2021:
            _text(element, "publisherId", info.publisher_id)
        _pair(element, "publicationType", info.publication_type)
        _text(element, "publicationDate", info.publication_date)
        _text(element, "placeOfPublication", info.place_of_publication)

    def service(self, element: etree._Element, info: ServiceInfo) -> None:
        if info.request_type is not None:
            _sub(element, "requestType", info.request_type.value)
        sub_types = info.request_sub_types if self.v2021 else info.request_sub_types[:3]
        for sub_type in sub_types:
            _sub(element, "requestSubType", sub_type.value)
        _text(
            element,
            "requestingAgencyPreviousRequestId",
            info.requesting_agency_previous_request_id,
        )
        _sub(element, "serviceType", info.service_type.value)
        _pair(element, "serviceLevel", info.service_level)
        _pair(element, "itemFormat" if self.v2021 else "preferredFormat", info.preferred_format)
        _time(element, "needBeforeDate", info.need_before_date)
        _pair(element, "copyrightCompliance", info.copyright_compliance)
        _yes_no(element, "anyEdition", info.any_edition)
        if self.v2021:
            if info.preferred_edition is not None:
                _sub(element, "preferredEdition", info.preferred_edition.value)
            _pairs(element, "loanCondition", info.loan_conditions)
        _time(element, "startDate", info.start_date)
        _time(element, "endDate", info.end_date)
        _text(element, "note", info.note)

    def supplier(self, element: etree._Element, info: SupplierInfo) -> None:
        _int(element, "sortOrder", self._sort_order(info.sort_order))
        _agency(element, "supplierCode", info.supplier_code)
        _text(element, "supplierDescription", info.supplier_description)
        if info.record_id is not None:
            record_element = _sub(element, "bibliographicRecordId")
            _pair(record_element, "bibliographicRecordIdentifierCode", info.record_id.code)
            _sub(record_element, "bibliographicRecordIdentifier", info.record_id.identifier)
        _text(element, "callNumber", info.call_number)
        _text(element, "summaryHoldings", info.summary_holdings)
        _text(element, "availabilityNote", info.availability_note)

    def _sort_order(self, value: int | None) -> int | None:
        if value is not None and value < 0 and self.v2021:
            raise WriteError("A 2021 sortOrder is 0 or more.")
        return value

    def requested_delivery(self, element: etree._Element, info: RequestedDeliveryInfo) -> None:
        _int(element, "sortOrder", self._sort_order(info.sort_order))
        self.address(element, info.address)
        if self.v2021:
            _pair(element, "deliveryMethod", info.delivery_method)
            _pair(element, "courierName", info.courier_name)

    def requesting_agency(self, element: etree._Element, info: RequestingAgencyInfo) -> None:
        _text(element, "name", info.name)
        _text(element, "contactName", info.contact_name)
        for address in info.addresses:
            self.address(element, address)

    def patron(self, element: etree._Element, info: PatronInfo) -> None:
        _text(element, "patronId", info.patron_id)
        _text(element, "surname", info.surname)
        _text(element, "givenName", info.given_name)
        _pair(element, "patronType", info.patron_type)
        _yes_no(element, "sendToPatron", info.send_to_patron)
        for address in info.addresses:
            self.address(element, address)

    def billing(self, element: etree._Element, info: BillingInfo) -> None:
        _pair(element, "paymentMethod", info.payment_method)
        _costs(element, "maximumCosts", info.maximum_costs)
        _pair(element, "billingMethod", info.billing_method)
        _text(element, "billingName", info.billing_name)
        self.address(element, info.address)

    def address(self, parent: etree._Element, address: Address | None) -> None:
        if address is None:
            return
        element = _sub(parent, "address")
        if isinstance(address, ElectronicAddress):
            electronic = _sub(element, "electronicAddress")
            _pair(electronic, "electronicAddressType", address.type)
            _sub(electronic, "electronicAddressData", address.data)
        else:
            self.physical(_sub(element, "physicalAddress"), address)

    def physical(self, element: etree._Element, address: PhysicalAddress) -> None:
        _text(element, "line1", address.line1)
        _text(element, "line2", address.line2)
        _text(element, "locality", address.locality)
        _text(element, "postalCode", address.postal_code)
        _text(element, "region", address.region)
        _pair(element, "country", address.country)

    # The supplying agency message

    def supplying(self, element: etree._Element, message: SupplyingAgencyMessage) -> None:
        self.header(element, message.header, "supplyingAgencyMessage")
        self.message_info(_sub(element, "messageInfo"), message.message_info)
        self.status_info(_sub(element, "statusInfo"), message.status_info)
        info = message.message_info
        if self.v2021 and (info.offered_costs or info.retry_after or info.retry_before):
            retry = _sub(element, "retryInfo")
            _costs(retry, "offeredCosts", info.offered_costs)
            _time(retry, "retryBefore", info.retry_before)
            _time(retry, "retryAfter", info.retry_after)
        if message.delivery_info is not None:
            self.delivery(_sub(element, "deliveryInfo"), message.delivery_info)
        if message.return_info is not None:
            self.return_info(_sub(element, "returnInfo"), message.return_info)

    def message_info(self, element: etree._Element, info: MessageInfo) -> None:
        self._code(element, "reasonForMessage", info.reason_for_message)
        _yes_no(element, "answerYesNo", info.answer_yes_no)
        _text(element, "note", info.note)
        _pair(element, "reasonUnfilled", info.reason_unfilled)
        _pair(element, "reasonRetry", info.reason_retry)
        if not self.v2021:
            _costs(element, "offeredCosts", info.offered_costs)
            _time(element, "retryAfter", info.retry_after)
            _time(element, "retryBefore", info.retry_before)

    def status_info(self, element: etree._Element, info: StatusInfo) -> None:
        self._code(element, "status", info.status)
        _time(element, "expectedDeliveryDate", info.expected_delivery_date)
        _time(element, "dueDate", info.due_date)
        _time(element, "lastChange", info.last_change)

    def delivery(self, element: etree._Element, info: DeliveryInfo) -> None:
        _time(element, "dateSent", info.date_sent)
        _text(element, "itemId", info.item_id)
        if self.v2021:
            _text(element, "URL", info.url)
            _pair(element, "deliveryMethod", info.sent_via)
        else:
            _pair(element, "sentVia", info.sent_via)
        if info.sent_to_patron is not None:
            _sub(element, "sentToPatron", "true" if info.sent_to_patron else "false")
        _pair(element, "loanCondition", info.loan_condition)
        _pair(element, "itemFormat" if self.v2021 else "deliveredFormat", info.delivered_format)
        _costs(element, "deliveryCosts", info.delivery_costs)

    def return_info(self, element: etree._Element, info: ReturnInfo) -> None:
        _agency(element, "returnAgencyId", info.return_agency_id)
        _text(element, "name", info.name)
        if info.physical_address is not None:
            self.physical(_sub(element, "physicalAddress"), info.physical_address)
