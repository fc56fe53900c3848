"""Peppol BIS Billing 3.0 (EN 16931, UBL 2.1): the PEPPOL route of EINVOICE (R13, R17, R18).

An invoice goes as a UBL `Invoice` (type 380); one whose total is negative as a `CreditNote`
(type 381) whose amounts are the credit's, so positive. Built with ElementTree, so every text is
escaped by the library; text XML 1.0 cannot carry is refused (`UnsafeText`).

Choices the rules leave open:
- Endpoints: the buyer's is its Peppol participant id (`scheme:value`, `models/routes.py`); the
  seller's is its OVT code under ICD 0216, else its business id under 0037.
- BuyerReference (required by PEPPOL-EN16931-R003 when there is no order reference): the invoice
  number, since the scenario carries no buyer's reference.
- VAT: category S with its rate for a rate above zero, Z (zero rated) at 0 %, one breakdown per
  rate as the invoice's totals compute it; the seller's VAT id is FI + its business id.
- A line with a negative price (a discount or refund line) carries a negative quantity and a
  positive price (BR-27: the item price is never negative).
- Payment: SEPA credit transfer (58) to the seller's IBAN and BIC with the payment reference;
  a credit note carries no payment instructions (nothing is to be paid).
- The invoice's PDF travels inside the document (AdditionalDocumentReference, base64).
- A factoring invoice (R17) names the financier as the payee (BG-10) with the assignment clause.
"""

import base64
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import TYPE_CHECKING

from autodispatch.channels.labels import document_title
from autodispatch.channels.text import check_xml_text, money
from autodispatch.errors import PermanentRejection
from autodispatch.models.enums import DeliveryKind
from autodispatch.models.fields import PEPPOL_PARTICIPANT
from autodispatch.models.routes import einvoice_destination
from autodispatch.models.scenario import Address, Factoring, Invoice, Tenant

if TYPE_CHECKING:
    from autodispatch.channels.registry import RenderRequest

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
ET.register_namespace("cbc", CBC)
ET.register_namespace("cac", CAC)
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
# UN/ECE Recommendation 20 "one": the scenario's quantities carry no unit.
UNIT_CODE = "C62"
SEPA_CREDIT_TRANSFER = "58"
_OVT = re.compile(r"0037[0-9]{8}[0-9A-Za-z]{0,5}")


@dataclass(frozen=True)
class Participant:
    scheme: str
    value: str


def participant(address: str | None) -> Participant:
    match = PEPPOL_PARTICIPANT.fullmatch((address or "").strip())
    if match is None:
        raise PermanentRejection("the customer's e-invoice address is not a Peppol participant id")
    return Participant(match.group("scheme"), match.group("value"))


def seller_endpoint(tenant: Tenant) -> Participant:
    address = tenant.einvoice_address.replace(" ", "")
    if _OVT.fullmatch(address):
        return Participant("0216", address)
    return Participant("0037", tenant.business_id.replace("-", ""))


def render_peppol(invoice: Invoice, tenant: Tenant, request: "RenderRequest") -> bytes:
    """The PEPPOL route's renderer: the UBL document with the invoice's PDF inside it."""
    from autodispatch.channels.pdf import render_invoice_pdf  # noqa: PLC0415 - the PDF stack on first use

    kind = DeliveryKind.INVOICE if request.kind is DeliveryKind.FACTORING else request.kind
    pdf = render_invoice_pdf(invoice, tenant, kind)
    return render_ubl(invoice, tenant, kind=request.kind, factoring=request.factoring, pdf=pdf)


def render_ubl(
    invoice: Invoice,
    tenant: Tenant,
    *,
    pdf: bytes,
    kind: DeliveryKind = DeliveryKind.INVOICE,
    factoring: Factoring | None = None,
) -> bytes:
    """The Peppol BIS Billing 3.0 document as UTF-8 bytes with an XML declaration. The same invoice
    always gives the same bytes (a retry resends identical bytes)."""
    if kind is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        raise PermanentRejection("a direct-payment pre-notification goes by Finvoice or print (R18)")
    if kind is DeliveryKind.FACTORING and factoring is None:
        raise ValueError("a factoring message needs the factoring agreement")
    buyer = participant(einvoice_destination(invoice, kind, factoring))
    return _Document(invoice, tenant, factoring, kind).build(buyer, pdf)


def _amount(value: Decimal) -> str:
    value = money(value)
    return f"{Decimal('0.00') if value == 0 else value:.2f}"  # never "-0.00"


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class _Document:
    def __init__(
        self, invoice: Invoice, tenant: Tenant, factoring: Factoring | None, kind: DeliveryKind
    ) -> None:
        self.invoice = invoice
        self.tenant = tenant
        self.factoring = factoring
        self.kind = kind
        self.credit = invoice.is_credit_note
        # A credit note states the credit's amounts: the invoice's, negated.
        self.sign = Decimal(-1) if self.credit else Decimal(1)

    def add(self, parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        prefix, _, name = tag.partition(":")
        element = ET.SubElement(parent, f"{{{CBC if prefix == 'cbc' else CAC}}}{name}", attributes)
        if text is not None:
            element.text = check_xml_text(text, name)
        return element

    def amount(self, parent: ET.Element, tag: str, value: Decimal) -> None:
        self.add(parent, tag, _amount(value), currencyID=self.invoice.currency)

    def build(self, buyer: Participant, pdf: bytes) -> bytes:
        invoice, tenant = self.invoice, self.tenant
        root = ET.Element(
            f"{{{CREDIT_NOTE if self.credit else INVOICE}}}{'CreditNote' if self.credit else 'Invoice'}"
        )
        self.add(root, "cbc:CustomizationID", CUSTOMIZATION)
        self.add(root, "cbc:ProfileID", PROFILE)
        self.add(root, "cbc:ID", invoice.number)
        self.add(root, "cbc:IssueDate", invoice.invoice_date.isoformat())
        if self.credit:
            self.add(root, "cbc:CreditNoteTypeCode", "381")
        else:
            self.add(root, "cbc:DueDate", invoice.due_date.isoformat())
            self.add(root, "cbc:InvoiceTypeCode", "380")
        if self.factoring is not None:
            self.add(root, "cbc:Note", _assignment_clause(self.factoring))
        self.add(root, "cbc:DocumentCurrencyCode", invoice.currency)
        self.add(root, "cbc:BuyerReference", invoice.number)
        self._attachment(root, pdf)
        self._seller(root)
        self._buyer(root, buyer)
        if self.factoring is not None:
            payee = self.add(root, "cac:PayeeParty")
            self.add(self.add(payee, "cac:PartyName"), "cbc:Name", self.factoring.financier_name)
        if not self.credit:
            means = self.add(root, "cac:PaymentMeans")
            self.add(means, "cbc:PaymentMeansCode", SEPA_CREDIT_TRANSFER)
            self.add(means, "cbc:PaymentID", invoice.reference)
            account = self.add(means, "cac:PayeeFinancialAccount")
            self.add(account, "cbc:ID", tenant.iban.replace(" ", ""))
            self.add(self.add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", tenant.bic)
        self._totals(root)
        self._lines(root)
        buffer = BytesIO()
        ET.indent(root)
        ET.ElementTree(root).write(buffer, encoding="UTF-8", xml_declaration=True)
        return buffer.getvalue()

    def _attachment(self, root: ET.Element, pdf: bytes) -> None:
        title = document_title(self.invoice, self.kind, self.invoice.customer.language)
        reference = self.add(root, "cac:AdditionalDocumentReference")
        self.add(reference, "cbc:ID", self.invoice.number)
        self.add(reference, "cbc:DocumentDescription", f"{title} {self.invoice.number}")
        attachment = self.add(reference, "cac:Attachment")
        self.add(
            attachment,
            "cbc:EmbeddedDocumentBinaryObject",
            base64.b64encode(pdf).decode("ascii"),
            mimeCode="application/pdf",
            filename=f"{re.sub(r'[^A-Za-z0-9._-]', '_', self.invoice.number)}.pdf",
        )

    def _address(self, party: ET.Element, address: Address) -> None:
        postal = self.add(party, "cac:PostalAddress")
        streets = [street for street in address.street if street.strip()]
        if streets:
            self.add(postal, "cbc:StreetName", streets[0])
        if len(streets) > 1:
            self.add(postal, "cbc:AdditionalStreetName", " ".join(streets[1:]))
        if address.town.strip():
            self.add(postal, "cbc:CityName", address.town)
        if address.postcode.strip():
            self.add(postal, "cbc:PostalZone", address.postcode)
        self.add(self.add(postal, "cac:Country"), "cbc:IdentificationCode", address.country)

    def _seller(self, root: ET.Element) -> None:
        tenant = self.tenant
        endpoint = seller_endpoint(tenant)
        party = self.add(self.add(root, "cac:AccountingSupplierParty"), "cac:Party")
        self.add(party, "cbc:EndpointID", endpoint.value, schemeID=endpoint.scheme)
        self.add(self.add(party, "cac:PartyName"), "cbc:Name", tenant.name)
        self._address(party, tenant.address)
        tax = self.add(party, "cac:PartyTaxScheme")
        self.add(tax, "cbc:CompanyID", "FI" + tenant.business_id.replace("-", ""))
        self.add(self.add(tax, "cac:TaxScheme"), "cbc:ID", "VAT")
        legal = self.add(party, "cac:PartyLegalEntity")
        self.add(legal, "cbc:RegistrationName", tenant.name)
        self.add(legal, "cbc:CompanyID", tenant.business_id)

    def _buyer(self, root: ET.Element, endpoint: Participant) -> None:
        customer = self.invoice.customer
        party = self.add(self.add(root, "cac:AccountingCustomerParty"), "cac:Party")
        self.add(party, "cbc:EndpointID", endpoint.value, schemeID=endpoint.scheme)
        if customer.address is None:
            raise PermanentRejection("the customer's postal address is missing")
        self._address(party, customer.address)
        legal = self.add(party, "cac:PartyLegalEntity")
        self.add(legal, "cbc:RegistrationName", " ".join(customer.name.split()))
        if customer.business_id and customer.business_id.strip():
            self.add(legal, "cbc:CompanyID", customer.business_id.strip())

    def _totals(self, root: ET.Element) -> None:
        totals = self.invoice.totals
        tax_total = self.add(root, "cac:TaxTotal")
        self.amount(tax_total, "cbc:TaxAmount", self.sign * totals.vat)
        for entry in totals.per_rate:
            subtotal = self.add(tax_total, "cac:TaxSubtotal")
            self.amount(subtotal, "cbc:TaxableAmount", self.sign * entry.net)
            self.amount(subtotal, "cbc:TaxAmount", self.sign * entry.vat)
            self._category(subtotal, "cac:TaxCategory", entry.vat_rate)
        monetary = self.add(root, "cac:LegalMonetaryTotal")
        self.amount(monetary, "cbc:LineExtensionAmount", self.sign * totals.net)
        self.amount(monetary, "cbc:TaxExclusiveAmount", self.sign * totals.net)
        self.amount(monetary, "cbc:TaxInclusiveAmount", self.sign * totals.gross)
        self.amount(monetary, "cbc:PayableAmount", self.sign * totals.gross)

    def _category(self, parent: ET.Element, tag: str, rate: Decimal) -> None:
        category = self.add(parent, tag)
        self.add(category, "cbc:ID", "S" if rate > 0 else "Z")
        self.add(category, "cbc:Percent", _number(rate))
        self.add(self.add(category, "cac:TaxScheme"), "cbc:ID", "VAT")

    def _lines(self, root: ET.Element) -> None:
        line_tag, quantity_tag = (
            ("cac:CreditNoteLine", "cbc:CreditedQuantity")
            if self.credit
            else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
        )
        for number, line in enumerate(self.invoice.lines, start=1):
            # BR-27: the price is never negative; a negative line has a negative quantity instead.
            price_sign = Decimal(-1) if line.unit_price < 0 else Decimal(1)
            row = self.add(root, line_tag)
            self.add(row, "cbc:ID", str(number))
            self.add(row, quantity_tag, _number(self.sign * price_sign * line.quantity), unitCode=UNIT_CODE)
            self.amount(row, "cbc:LineExtensionAmount", self.sign * line.net)
            item = self.add(row, "cac:Item")
            self.add(item, "cbc:Name", " ".join(line.description.split()))
            self._category(item, "cac:ClassifiedTaxCategory", line.vat_rate)
            price = self.add(row, "cac:Price")
            self.add(
                price,
                "cbc:PriceAmount",
                _number(price_sign * line.unit_price),
                currencyID=self.invoice.currency,
            )


def _assignment_clause(agreement: Factoring) -> str:
    return f"Saatava on siirretty: {agreement.financier_name}, sopimus {agreement.agreement_id}"
