"""R4, R29: the transmission files an S3 outbox object holds (channels/transmission.py). A batch's
e-invoices are one Finvoice transmission (each message preceded by its SOAP envelope), its Peppol
documents and its letters one ZIP each with a manifest; each document comes back byte for byte
and every Finvoice message of a transmission still validates against the Finvoice 3.0 XSD."""

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from functools import cache
from pathlib import Path

import pymupdf
import pytest
import xmlschema

from autodispatch.channels.finvoice import render_finvoice
from autodispatch.channels.ids import kind_of, message_id
from autodispatch.channels.pdf import render_print_letter
from autodispatch.channels.peppol import render_ubl
from autodispatch.channels.peppol_rules import broken_rules
from autodispatch.channels.transmission import (
    EB,
    MANIFEST,
    SOAP,
    TRANSMISSIONS,
    TransmittedDocument,
    pdf_pages,
    read_transmission,
)
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Scenario

XSD = Path("/work/shared/reference/finvoice/Finvoice3.0.xsd")
FIXTURE_XSD = Path(__file__).resolve().parents[1] / "fixtures" / "Finvoice3.0.xsd"


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD if XSD.exists() else FIXTURE_XSD))


def _finvoices(scenario: Scenario) -> list[TransmittedDocument]:
    tenants = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    documents = []
    for invoice in scenario.invoices:
        if invoice.customer.einvoice_address is None or invoice.customer.einvoice_operator is None:
            continue
        kind = DeliveryKind.INVOICE
        identifier = message_id(invoice, Channel.EINVOICE, kind)
        content = render_finvoice(invoice, tenants[invoice.tenant_id], message_id=identifier, kind=kind)
        documents.append(
            TransmittedDocument(
                identifier, invoice.tenant_id, invoice.invoice_id, kind, Channel.EINVOICE, content
            )
        )
    return documents


def test_r29_a_finvoice_transmission_is_each_message_after_its_soap_envelope(scenario: Scenario) -> None:
    documents = _finvoices(scenario)
    assert len(documents) >= 2
    body = TRANSMISSIONS["einvoice"].build(documents)

    read = read_transmission("outbox/einvoice/run/batch/token-1.xml", body)
    assert read == documents  # in order, byte for byte, each named by its envelope
    assert body.count(b"<SOAP-ENV:Envelope") == body.count(b"<Finvoice ") == len(documents)
    for document in read:
        schema().validate(document.content.decode("utf-8"))  # every message of the transmission
    # The envelope routes as the message does: from the seller's address to the receiver's.
    first_envelope = body[: body.index(b"</SOAP-ENV:Envelope>") + len(b"</SOAP-ENV:Envelope>")]
    header = ET.fromstring(first_envelope).find(f"{{{SOAP}}}Header/{{{EB}}}MessageHeader")
    assert header is not None
    message = ET.fromstring(documents[0].content)
    roles = {
        (party.findtext(f"{{{EB}}}Role"), party.findtext(f"{{{EB}}}PartyId"))
        for party in [*header.findall(f"{{{EB}}}From"), *header.findall(f"{{{EB}}}To")]
    }
    details = "MessageTransmissionDetails"
    assert ("Sender", message.findtext(f"{details}/MessageSenderDetails/FromIdentifier")) in roles
    assert ("Receiver", message.findtext(f"{details}/MessageReceiverDetails/ToIdentifier")) in roles
    assert header.findtext(f"{{{EB}}}MessageData/{{{EB}}}MessageId") == documents[0].message_id
    assert header.findtext(f"{{{EB}}}Action") == "ProcessInvoice"


def test_r29_a_transmission_names_any_id_and_the_kind_by_the_message_id() -> None:
    document = TransmittedDocument(
        "DPN-1",
        "kahvila/ä",
        "lasku 7 ☕",
        DeliveryKind.DIRECT_PAYMENT_NOTICE,
        Channel.EINVOICE,
        b"<Finvoice/>",
    )
    [read] = read_transmission("outbox/einvoice/x-1.xml", TRANSMISSIONS["einvoice"].build([document]))
    assert read == document
    assert kind_of("FAC-ABC") is DeliveryKind.FACTORING


def test_r29_a_peppol_transmission_is_a_zip_of_ubl_documents_with_a_manifest(scenario: Scenario) -> None:
    tenants = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    invoice = scenario.invoices[0]
    pdf = b"%PDF-1.3 stand-in"
    content = render_ubl(
        invoice.model_copy(
            update={"customer": invoice.customer.model_copy(update={"einvoice_address": "0216:003712345678"})}
        ),
        tenants[invoice.tenant_id],
        pdf=pdf,
    )
    document = TransmittedDocument(
        "INV-P1", invoice.tenant_id, invoice.invoice_id, DeliveryKind.INVOICE, Channel.EINVOICE, content
    )
    body = TRANSMISSIONS["peppol"].build(
        [document, document.__class__(**{**document.__dict__, "message_id": "INV-P2"})]
    )

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        manifest = json.loads(archive.read(MANIFEST))["documents"]
        assert [entry["file"] for entry in manifest] == ["0001-INV-P1.xml", "0002-INV-P2.xml"]
        assert archive.read("0001-INV-P1.xml") == content
    [first, second] = read_transmission("outbox/peppol/x-1.zip", body)
    assert first == document
    assert second.message_id == "INV-P2"
    assert broken_rules(first.content) == []


def test_r15_a_print_transmission_is_a_zip_of_the_letters_with_their_pages(scenario: Scenario) -> None:
    tenants = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    letters = [
        TransmittedDocument(
            message_id(invoice, Channel.PRINT, DeliveryKind.INVOICE),
            invoice.tenant_id,
            invoice.invoice_id,
            DeliveryKind.INVOICE,
            Channel.PRINT,
            render_print_letter(invoice, tenants[invoice.tenant_id], DeliveryKind.INVOICE),
        )
        for invoice in scenario.invoices[:3]
        if invoice.customer.address is not None
    ]
    body = TRANSMISSIONS["print"].build(letters)

    assert read_transmission("outbox/print/x-1.zip", body) == letters
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        manifest = json.loads(archive.read(MANIFEST))["documents"]
    assert [(entry["tenant_id"], entry["invoice_id"], entry["message_id"]) for entry in manifest] == [
        (letter.tenant_id, letter.invoice_id, letter.message_id) for letter in letters
    ]
    for entry, letter in zip(manifest, letters, strict=True):
        assert entry["pages"] == pymupdf.open(stream=letter.content).page_count


def test_pdf_pages_reads_the_page_tree_whatever_the_key_order() -> None:
    assert pdf_pages(b"1 0 obj\n<<\n/Count 3\n/Kids [3 0 R]\n/Type /Pages\n>>\nendobj") == 3
    assert pdf_pages(b"1 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj") == 1
    with pytest.raises(ValueError, match="page tree"):
        pdf_pages(b"%PDF-1.4")
