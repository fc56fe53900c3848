"""Finvoice 3.0 messages (R4, R13): e-invoices to businesses and consumers, credit
notes, direct-payment pre-notifications (R18) and factoring copies (R17).

Built with ElementTree, so every text is escaped by the library; text XML 1.0 cannot carry is
refused (`UnsafeText`). Length limits of the schema are respected: names longer than an element
allows repeat the element where the schema lets them, long row descriptions go to RowFreeText.

Choices the schema leaves open:
- The invoice image: a Finvoice message is complete without a PDF; banks and operators render
  the invoice from the XML. A PDF would travel in a separate FinvoiceAttachments message named by
  `AttachmentMessageDetails/AttachmentMessageIdentifier` ("<MessageIdentifier>::attachments"),
  whose schema this project does not have to validate against, and which consumer banks limit.
  So no attachment message is sent; the customer's e-invoice is the XML itself.
- The direct-payment pre-notification: Finvoice 3.0 has no dedicated type code for it. It is an
  INV01 invoice whose InvoiceTypeText names the notice, with `PaymentStatusDetails`
  (PaymentStatusCode NOTPAID, PaymentMethodText "SUORAMAKSU"), `EpiPaymentMeansCode` 49 (UNTDID
  4461 direct debit) with its text, an InvoiceFreeText telling the payer not to pay separately,
  and no bank barcode.
- Credit notes are INV02 (InvoiceTypeCodeUN 381) with negative totals; nothing is to be paid, so
  EpiInstructedAmount is 0,00 and there is no barcode.
- The factoring copy is OriginCode "Copy" with `FactoringAgreementDetails`, addressed to the
  financier (MessageReceiverDetails and InvoiceRecipientPartyDetails); the buyer stays the buyer.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import TYPE_CHECKING

from autodispatch.channels.barcode import virtual_barcode
from autodispatch.channels.labels import document_title, format_quantity, label
from autodispatch.channels.text import check_xml_text, money, shorten, split_text
from autodispatch.errors import PermanentRejection
from autodispatch.mime import UnsafeText
from autodispatch.models.enums import CustomerType, DeliveryKind, Language
from autodispatch.models.scenario import Address, Factoring, Invoice, Tenant
from autodispatch.models.text import Text

if TYPE_CHECKING:
    from autodispatch.channels.registry import RenderRequest

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("xsi", XSI)
# ISO 6523 code of the Finnish business ID (Y-tunnus).
_YTUNNUS_SCHEME = "0212"
# EpiReference is an XSD \c* (XML 1.0 name characters), which leaves out many letters that \w
# knows (e.g. U+10C00): keep the ASCII ones every reader takes.
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class FinvoiceRoute:
    """Where a message goes: the receiver's e-invoice address and intermediator (operator code,
    or a bank's BIC for consumers)."""

    address: str
    intermediator: str


def einvoice_route(invoice: Invoice) -> FinvoiceRoute:
    """R13: a business's own e-invoice address and operator; a consumer's address and bank from
    the receiving consent given in their online bank."""
    customer = invoice.customer
    if customer.type is CustomerType.CONSUMER:
        if customer.einvoice_consent is None:
            raise PermanentRejection.said(Text.of("reason.no_einvoice_consent"))
        return FinvoiceRoute(customer.einvoice_consent.address, customer.einvoice_consent.operator)
    if not customer.einvoice_address or not customer.einvoice_operator:
        raise PermanentRejection.said(Text.of("reason.no_einvoice_address"))
    return FinvoiceRoute(
        customer.einvoice_address.replace(" ", ""), customer.einvoice_operator.replace(" ", "")
    )


def factoring_route(agreement: Factoring) -> FinvoiceRoute:
    if agreement.einvoice_address is None or agreement.einvoice_operator is None:
        raise ValueError("the factoring agreement has no e-invoice address")
    return FinvoiceRoute(agreement.einvoice_address, agreement.einvoice_operator)


def _amount(value: Decimal) -> str:
    value = money(value)
    if value == 0:
        value = Decimal("0.00")  # never "-0,00"
    return f"{value:.2f}".replace(".", ",")


def _unit_amount(value: Decimal) -> str:
    """Two to five decimals, as unitAmountUN allows."""
    whole, fraction = f"{value.quantize(Decimal('0.00001'), ROUND_HALF_UP):f}".split(".")
    return f"{whole},{fraction.rstrip('0').ljust(2, '0')}"


def _percent(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.0001"), ROUND_HALF_UP).normalize(), "f")
    return text.replace(".", ",")


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Builder:
    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice

    def add(self, parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attributes)
        if text is not None:
            element.text = check_xml_text(text, tag)
        return element

    def fitted(self, parent: ET.Element, tag: str, text: str, low: int, high: int, **attributes: str) -> None:
        """One element whose text must be `low`-`high` long; anything else is refused, not cut."""
        value = " ".join(text.split())
        if not low <= len(value) <= high:
            raise UnsafeText.said(
                Text.of("unsafe.length", element=tag, low=low, high=high, length=len(value))
            )
        self.add(parent, tag, value, **attributes)

    def repeated(self, parent: ET.Element, tag: str, text: str, low: int, high: int, limit: int = 0) -> None:
        """Long text split over repeated elements, where the schema repeats the element."""
        try:
            pieces = split_text(text, high, low)
        except UnsafeText:
            raise UnsafeText.said(Text.of("unsafe.too_short", element=tag, low=low)) from None
        if limit and len(pieces) > limit:
            raise UnsafeText.said(Text.of("unsafe.too_long", element=tag, count=limit, high=high))
        for piece in pieces:
            self.add(parent, tag, piece)

    def amount(self, parent: ET.Element, tag: str, value: Decimal) -> None:
        self.add(parent, tag, _amount(value), AmountCurrencyIdentifier=self.invoice.currency)

    def date(self, parent: ET.Element, tag: str, value: date) -> None:
        self.add(parent, tag, _date(value), Format="CCYYMMDD")

    def postal(self, parent: ET.Element, prefix: str, address: Address, container: str) -> None:
        details = self.add(parent, container)
        streets = [street for street in address.street if street.strip()]
        for street in streets:
            self.fitted(details, f"{prefix}StreetName", street, 2, 35)
        self.fitted(details, f"{prefix}TownName", address.town, 2, 35)
        self.fitted(details, f"{prefix}PostCodeIdentifier", address.postcode, 2, 35)
        self.add(details, "CountryCode", address.country)


def render_finvoice_document(invoice: Invoice, tenant: Tenant, request: "RenderRequest") -> bytes:
    """The FINVOICE route's renderer: the customer's message, or the financier's copy (R17)."""
    if request.kind is DeliveryKind.FACTORING:
        agreement = request.agreement()
        return render_finvoice(
            invoice,
            tenant,
            message_id=request.message_id,
            kind=request.kind,
            route=factoring_route(agreement),
            factoring=agreement,
        )
    return render_finvoice(invoice, tenant, message_id=request.message_id, kind=request.kind)


def render_finvoice(
    invoice: Invoice,
    tenant: Tenant,
    *,
    message_id: str,
    kind: DeliveryKind = DeliveryKind.INVOICE,
    route: FinvoiceRoute | None = None,
    factoring: Factoring | None = None,
) -> bytes:
    """The Finvoice 3.0 message as UTF-8 bytes with an XML declaration.

    `route` defaults to the customer's (`einvoice_route`); a factoring copy passes the agreement
    and goes to the financier's route. The message timestamp is the invoice's creation time, so
    the same invoice always gives the same message (a retry resends identical bytes).
    """
    if kind is DeliveryKind.FACTORING and factoring is None:
        raise ValueError("a factoring message needs the factoring agreement")
    route = route or (factoring_route(factoring) if factoring is not None else einvoice_route(invoice))
    if not 2 <= len(message_id) <= 48:
        raise ValueError("a Finvoice MessageIdentifier is 2-48 characters")
    build = _Builder(invoice)
    root = ET.Element(
        "Finvoice", {"Version": "3.0", f"{{{XSI}}}noNamespaceSchemaLocation": "Finvoice3.0.xsd"}
    )
    _transmission(build, root, invoice, tenant, route, message_id)
    _parties(build, root, invoice, tenant, factoring)
    _details(build, root, invoice, kind, factoring is not None)
    notice = kind is DeliveryKind.DIRECT_PAYMENT_NOTICE
    if notice:
        status = build.add(root, "PaymentStatusDetails")
        build.add(status, "PaymentStatusCode", "NOTPAID")
        build.add(status, "PaymentMethodText", "SUORAMAKSU")
    if factoring is not None:
        _factoring_details(build, root, factoring)
    if not notice:
        totals = invoice.totals
        barcode = virtual_barcode(
            tenant.iban, totals.gross, invoice.reference, invoice.due_date, invoice.currency
        )
        if barcode is not None:
            build.add(root, "VirtualBankBarcode", barcode)
    _rows(build, root, invoice)
    _epi_details(build, root, invoice, tenant, notice)

    ET.indent(root)
    buffer = BytesIO()
    ET.ElementTree(root).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue()


def _transmission(
    build: _Builder, root: ET.Element, invoice: Invoice, tenant: Tenant, route: FinvoiceRoute, message_id: str
) -> None:
    """The routing frame: from the tenant's own address and operator to the receiver's."""
    transmission = build.add(root, "MessageTransmissionDetails")
    sender = build.add(transmission, "MessageSenderDetails")
    build.fitted(sender, "FromIdentifier", tenant.einvoice_address, 2, 35)
    build.fitted(sender, "FromIntermediator", tenant.einvoice_operator, 2, 35)
    receiver = build.add(transmission, "MessageReceiverDetails")
    build.fitted(receiver, "ToIdentifier", route.address, 2, 35)
    build.fitted(receiver, "ToIntermediator", route.intermediator, 2, 35)
    message = build.add(transmission, "MessageDetails")
    build.add(message, "MessageIdentifier", message_id)
    build.add(message, "MessageTimeStamp", invoice.created_at.isoformat())


def _parties(
    build: _Builder, root: ET.Element, invoice: Invoice, tenant: Tenant, factoring: Factoring | None
) -> None:
    seller = build.add(root, "SellerPartyDetails")
    build.add(seller, "SellerPartyIdentifier", tenant.business_id, SchemeID=_YTUNNUS_SCHEME)
    build.repeated(seller, "SellerOrganisationName", tenant.name, 2, 70)
    build.add(seller, "SellerOrganisationTaxCode", "FI" + tenant.business_id.replace("-", ""))
    build.postal(seller, "Seller", tenant.address, "SellerPostalAddressDetails")
    information = build.add(root, "SellerInformationDetails")
    account = build.add(information, "SellerAccountDetails")
    build.add(account, "SellerAccountID", tenant.iban, IdentificationSchemeName="IBAN")
    build.add(account, "SellerBic", tenant.bic, IdentificationSchemeName="BIC")

    customer = invoice.customer
    if factoring is not None:
        recipient = build.add(root, "InvoiceRecipientPartyDetails")
        build.repeated(recipient, "InvoiceRecipientOrganisationName", factoring.financier_name, 2, 35)
    build.add(root, "InvoiceRecipientLanguageCode", customer.language.value)
    buyer = build.add(root, "BuyerPartyDetails")
    if customer.business_id and len(customer.business_id) <= 35:
        build.add(buyer, "BuyerPartyIdentifier", customer.business_id)
    build.repeated(buyer, "BuyerOrganisationName", customer.name, 2, 70)
    if customer.address is None:
        raise PermanentRejection.said(Text.of("reason.no_postal_address"))
    build.postal(buyer, "Buyer", customer.address, "BuyerPostalAddressDetails")
    if customer.email and len(customer.email) <= 70:
        communication = build.add(root, "BuyerCommunicationDetails")
        build.add(communication, "BuyerEmailaddressIdentifier", customer.email)


def _details(build: _Builder, root: ET.Element, invoice: Invoice, kind: DeliveryKind, copy: bool) -> None:
    language = invoice.customer.language
    credit = invoice.is_credit_note
    totals = invoice.totals
    details = build.add(root, "InvoiceDetails")
    build.add(details, "InvoiceTypeCode", "INV02" if credit else "INV01", CodeListAgencyIdentifier="SPY")
    build.add(details, "InvoiceTypeCodeUN", "381" if credit else "380")
    build.add(details, "InvoiceTypeText", document_title(invoice, kind, language))
    build.add(details, "OriginCode", "Copy" if copy else "Original")
    build.add(details, "InvoiceNumber", invoice.number)
    build.date(details, "InvoiceDate", invoice.invoice_date)
    build.amount(details, "InvoiceTotalVatExcludedAmount", totals.net)
    build.amount(details, "InvoiceTotalVatAmount", totals.vat)
    build.amount(details, "InvoiceTotalVatIncludedAmount", totals.gross)
    for entry in totals.per_rate:
        vat = build.add(details, "VatSpecificationDetails")
        build.amount(vat, "VatBaseAmount", entry.net)
        build.add(vat, "VatRatePercent", _percent(entry.vat_rate))
        build.add(vat, "VatCode", "S" if entry.vat_rate > 0 else "Z")
        build.amount(vat, "VatRateAmount", entry.vat)
    if credit:
        build.add(details, "InvoiceFreeText", label("credit_note_text", language))
    elif kind is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        build.add(details, "InvoiceFreeText", label("direct_payment_text", language))
    terms = build.add(details, "PaymentTermsDetails")
    build.date(terms, "InvoiceDueDate", invoice.due_date)


def _rows(build: _Builder, root: ET.Element, invoice: Invoice) -> None:
    for line in invoice.lines:
        row = build.add(root, "InvoiceRow")
        description = " ".join(line.description.split())
        build.add(row, "ArticleName", shorten(description, 100))
        quantity = format_quantity(line.quantity, Language.FI)
        if len(quantity) > 14:
            raise UnsafeText.said(Text.of("unsafe.quantity"))
        build.add(row, "InvoicedQuantity", quantity)
        build.add(
            row, "UnitPriceAmount", _unit_amount(line.unit_price), AmountCurrencyIdentifier=invoice.currency
        )
        if len(description) > 100:
            # The full text; ArticleName holds its shortened start.
            build.add(row, "RowFreeText", description[:512])
        build.add(row, "RowVatRatePercent", _percent(line.vat_rate))
        build.add(row, "RowVatCode", "S" if line.vat_rate > 0 else "Z")
        build.amount(row, "RowVatExcludedAmount", line.net)


def _factoring_details(build: _Builder, root: ET.Element, agreement: Factoring) -> None:
    factoring = build.add(root, "FactoringAgreementDetails")
    build.fitted(factoring, "FactoringAgreementIdentifier", agreement.agreement_id, 1, 35)
    clause = f"Saatava on siirretty: {agreement.financier_name}, sopimus {agreement.agreement_id}"
    build.repeated(factoring, "FactoringFreeText", clause, 1, 70)
    build.add(factoring, "FactoringPartyName", shorten(agreement.financier_name, 35))


def _epi_details(build: _Builder, root: ET.Element, invoice: Invoice, tenant: Tenant, notice: bool) -> None:
    epi = build.add(root, "EpiDetails")
    identification = build.add(epi, "EpiIdentificationDetails")
    build.date(identification, "EpiDate", invoice.invoice_date)
    build.add(identification, "EpiReference", _NOT_NAME_CHAR.sub("", invoice.number)[:35])
    party = build.add(epi, "EpiPartyDetails")
    bank = build.add(party, "EpiBfiPartyDetails")
    build.add(bank, "EpiBfiIdentifier", tenant.bic, IdentificationSchemeName="BIC")
    beneficiary = build.add(party, "EpiBeneficiaryPartyDetails")
    build.add(beneficiary, "EpiNameAddressDetails", shorten(tenant.name, 35))
    build.add(beneficiary, "EpiBei", tenant.business_id)
    build.add(beneficiary, "EpiAccountID", tenant.iban, IdentificationSchemeName="IBAN")
    instruction = build.add(epi, "EpiPaymentInstructionDetails")
    scheme = "ISO" if invoice.reference.startswith("RF") else "SPY"
    build.add(instruction, "EpiRemittanceInfoIdentifier", invoice.reference, IdentificationSchemeName=scheme)
    payable = Decimal(0) if invoice.is_credit_note else invoice.totals.gross
    build.add(instruction, "EpiInstructedAmount", _amount(payable), AmountCurrencyIdentifier=invoice.currency)
    build.add(instruction, "EpiCharge", ChargeOption="SLEV")
    build.date(instruction, "EpiDateOptionDate", invoice.due_date)
    if notice:
        build.add(instruction, "EpiPaymentMeansCode", "49")
        build.add(
            instruction, "EpiPaymentMeansText", label("direct_payment_method", invoice.customer.language)
        )
    else:
        build.add(instruction, "EpiPaymentMeansCode", "58")
