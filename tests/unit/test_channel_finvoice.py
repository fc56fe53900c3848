"""R4: Finvoice 3.0 messages validate against the official XSD (R13, R17, R18)."""

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from autodispatch.channels.finvoice import render_finvoice
from autodispatch.channels.ids import message_id
from autodispatch.errors import PermanentRejection
from autodispatch.mime import UnsafeText
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Factoring, Invoice, Tenant

XSD = Path(__file__).resolve().parents[1] / "fixtures" / "Finvoice3.0.xsd"
FACTORING = {
    "financier_name": "Rahoitus Oy",
    "agreement_id": "FA-2291",
    "einvoice_address": "003712345671",
    "einvoice_operator": "003721291126",
}


@cache
def schema() -> xmlschema.XMLSchema:
    """Parsing the XSD takes a while: once per test session."""
    return xmlschema.XMLSchema(str(XSD))


def valid(xml: bytes) -> ET.Element:
    schema().validate(xml.decode("utf-8"))
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str:
    found = root.findtext(path)
    assert found is not None, path
    return found


def render(
    invoice: Invoice, tenant: Tenant, kind: DeliveryKind = DeliveryKind.INVOICE, **kwargs: Any
) -> bytes:
    return render_finvoice(
        invoice, tenant, message_id=message_id(invoice, Channel.EINVOICE, kind), kind=kind, **kwargs
    )


def test_r4_business_finvoice_validates_and_routes_from_tenant_to_customer(build: Any) -> None:
    tenant, invoice = build.tenant(), build.invoice()

    root = valid(render(invoice, tenant))

    assert text(root, "MessageTransmissionDetails/MessageSenderDetails/FromIdentifier") == "003723456780"
    assert text(root, "MessageTransmissionDetails/MessageSenderDetails/FromIntermediator") == "003721291126"
    assert text(root, "MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier") == "003701120389"
    assert text(root, "MessageTransmissionDetails/MessageReceiverDetails/ToIntermediator") == "003721291126"
    assert text(root, "InvoiceDetails/InvoiceTypeCode") == "INV01"
    assert text(root, "InvoiceDetails/InvoiceNumber") == "1001"
    assert text(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount") == "56,48"
    assert text(root, "EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == "56,48"
    assert text(root, "EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier") == "1232"
    assert text(root, "EpiDetails/EpiPaymentInstructionDetails/EpiDateOptionDate") == "20260323"
    assert (
        text(root, "EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID")
        == "FI4950009420028730"
    )
    assert text(root, "EpiDetails/EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier") == "OKOYFIHH"
    assert text(root, "VirtualBankBarcode").startswith("4")


def test_r13_consumer_finvoice_uses_consent_address_and_bank(build: Any) -> None:
    customer = build.consumer_customer(einvoice_consent=build.CONSENT)
    invoice = build.invoice(customer=customer)

    root = valid(render(invoice, build.tenant()))

    receiver = "MessageTransmissionDetails/MessageReceiverDetails"
    assert text(root, f"{receiver}/ToIdentifier") == build.CONSENT["address"]
    assert text(root, f"{receiver}/ToIntermediator") == build.CONSENT["operator"]
    assert text(root, "BuyerPartyDetails/BuyerOrganisationName") == "Matti Meikäläinen"


def test_r13_consumer_without_consent_cannot_get_a_finvoice(build: Any) -> None:
    invoice = build.invoice(customer=build.consumer_customer())

    with pytest.raises(PermanentRejection, match="accepted e-invoices"):
        render(invoice, build.tenant())


def test_r4_credit_note_is_inv02_with_nothing_to_pay(build: Any) -> None:
    invoice = build.invoice(lines=[build.line_dict(quantity="-1", unit_price="45.00")])

    root = valid(render(invoice, build.tenant()))

    assert text(root, "InvoiceDetails/InvoiceTypeCode") == "INV02"
    assert text(root, "InvoiceDetails/InvoiceTypeCodeUN") == "381"
    assert text(root, "InvoiceDetails/InvoiceTypeText") == "HYVITYSLASKU"
    assert text(root, "InvoiceDetails/InvoiceTotalVatIncludedAmount") == "-56,48"
    assert text(root, "EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == "0,00"
    assert root.find("VirtualBankBarcode") is None


def test_r18_direct_payment_notice_finvoice_is_marked_as_direct_payment(build: Any) -> None:
    customer = build.consumer_customer(einvoice_consent=build.CONSENT, language="sv")
    invoice = build.invoice(customer=customer, payment_method="DIRECT_PAYMENT")

    root = valid(render(invoice, build.tenant(), DeliveryKind.DIRECT_PAYMENT_NOTICE))

    assert text(root, "InvoiceDetails/InvoiceTypeText") == "DIREKTBETALNINGSAVISERING"
    assert text(root, "PaymentStatusDetails/PaymentStatusCode") == "NOTPAID"
    assert text(root, "PaymentStatusDetails/PaymentMethodText") == "SUORAMAKSU"
    assert text(root, "EpiDetails/EpiPaymentInstructionDetails/EpiPaymentMeansCode") == "49"
    assert root.find("VirtualBankBarcode") is None
    assert text(root, "InvoiceRecipientLanguageCode") == "sv"


def test_r17_factoring_finvoice_has_agreement_details(build: Any) -> None:
    agreement = Factoring.model_validate(FACTORING)
    tenant = build.tenant(factoring=FACTORING)
    invoice = build.invoice(factoring=True)

    root = valid(render(invoice, tenant, DeliveryKind.FACTORING, factoring=agreement))

    assert text(root, "FactoringAgreementDetails/FactoringAgreementIdentifier") == "FA-2291"
    assert text(root, "FactoringAgreementDetails/FactoringPartyName") == "Rahoitus Oy"
    assert "FA-2291" in text(root, "FactoringAgreementDetails/FactoringFreeText")
    assert text(root, "MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier") == "003712345671"
    assert text(root, "InvoiceRecipientPartyDetails/InvoiceRecipientOrganisationName") == "Rahoitus Oy"
    assert text(root, "InvoiceDetails/OriginCode") == "Copy"
    assert text(root, "BuyerPartyDetails/BuyerOrganisationName") == "Rakennus Oy"


@pytest.mark.parametrize(
    "name",
    ['Olé & <Søn> "Ltd" \'s', "Žluťoučký Čáp Ñandú ☕ Oy", "北京咖啡有限公司", "Ωμέγα Кофе"],
)
def test_r4_xml_special_characters_and_any_script_are_escaped_and_round_trip(build: Any, name: str) -> None:
    description = f"{name} — <b>&amp;</b>"
    invoice = build.invoice(
        customer=build.business_customer(name=name), lines=[build.line_dict(description=description)]
    )

    xml = render(invoice, build.tenant())
    root = valid(xml)

    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert text(root, "BuyerPartyDetails/BuyerOrganisationName") == name
    assert text(root, "InvoiceRow/ArticleName") == description


def test_r4_long_names_repeat_the_element_and_long_descriptions_go_to_row_free_text(build: Any) -> None:
    long_name = "Pohjois-Pohjanmaan Rakennus- ja Kiinteistöhuolto Osakeyhtiö " * 3
    description = "Kahvitarjoilu kokouspäivälle, sisältää kahvin, teen ja pullat " * 6
    invoice = build.invoice(
        customer=build.business_customer(name=long_name.strip()),
        lines=[build.line_dict(description=description.strip())],
    )

    root = valid(render(invoice, build.tenant()))

    names = [element.text or "" for element in root.findall("BuyerPartyDetails/BuyerOrganisationName")]
    assert len(names) == 3
    assert all(2 <= len(name) <= 70 for name in names)
    assert " ".join(names) == " ".join(long_name.split())
    assert len(text(root, "InvoiceRow/ArticleName")) <= 100
    assert text(root, "InvoiceRow/RowFreeText") == " ".join(description.split())


def test_r4_vat_is_specified_per_rate_and_rf_reference_uses_the_iso_scheme(build: Any) -> None:
    lines = [build.line_dict(), build.line_dict(description="Leivonnaiset", vat_rate="14", unit_price="2.00")]
    invoice = build.invoice(lines=lines, reference=build.VALID_RF_REFERENCE)

    root = valid(render(invoice, build.tenant()))

    rates = [
        element.findtext("VatRatePercent")
        for element in root.findall("InvoiceDetails/VatSpecificationDetails")
    ]
    assert rates == ["25,5", "14"]
    reference = root.find("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier")
    assert reference is not None
    assert reference.get("IdentificationSchemeName") == "ISO"
    assert text(root, "VirtualBankBarcode").startswith("5")


def test_r25_text_xml_cannot_carry_is_refused_with_a_clear_error(build: Any) -> None:
    invoice = build.invoice()
    # Import rejects control characters; this one reached a run some other way.
    broken = invoice.model_copy(
        update={"customer": invoice.customer.model_copy(update={"name": "Bad\x01Name Oy"})}
    )

    with pytest.raises(
        UnsafeText, match=r"BuyerOrganisationName.* contains a character the format cannot carry"
    ):
        render(broken, build.tenant())


def test_r23_message_identifier_is_deterministic_and_fits_the_schema(build: Any) -> None:
    invoice = build.invoice()
    identifier = message_id(invoice, Channel.EINVOICE, DeliveryKind.INVOICE)

    assert identifier == message_id(build.invoice(), Channel.EINVOICE, DeliveryKind.INVOICE)
    assert 2 <= len(identifier) <= 48
    assert identifier != message_id(invoice, Channel.PRINT, DeliveryKind.INVOICE)
    assert identifier != message_id(invoice, Channel.EINVOICE, DeliveryKind.FACTORING)
    corrected = build.invoice(lines=[build.line_dict(quantity="11")])
    assert identifier != message_id(corrected, Channel.EINVOICE, DeliveryKind.INVOICE)
    assert render(invoice, build.tenant()) == render(build.invoice(), build.tenant())
    root = ET.fromstring(render(invoice, build.tenant()))
    assert text(root, "MessageTransmissionDetails/MessageDetails/MessageIdentifier") == identifier
