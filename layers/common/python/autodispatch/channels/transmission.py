"""Transmission files: many documents in one outbox object, as file-based operators take them.

An S3 outbox transport (channels/transports.py) writes one object per batch attempt and transport
instead of one per document (an S3 PUT each was most of the S3-outbox night's cost). Each transport
has its operator's format:

- `einvoice`: a **Finvoice transmission file**, as the Finvoice implementation guide's file
  transfer has it: for each message its SOAP envelope (ebXML MessageHeader: from the sender's
  e-invoice address and intermediator to the receiver's, `Service` Routing, `Action`
  ProcessInvoice, the message id, and a Manifest referring to the Finvoice message), then the
  Finvoice message itself, each part with its own XML declaration. Every message is the one the
  Finvoice route rendered and validated, byte for byte. The envelope's `ConversationId` is the
  invoice's `<tenant id>/<invoice id>` (each percent-encoded): the conversation every message
  about one invoice belongs to, and what names the document's invoice to a reader.
- `peppol`: a ZIP of the UBL documents, one file each (`<position>-<message id>.xml`), with
  `manifest.json`.
- `print`: a ZIP of the letters' PDFs (`<position>-<message id>.pdf`) with `manifest.json`, which
  names each letter's tenant, invoice, kind, message id and pages.

A manifest lists the documents in order: `position` (from 1), `file`, `message_id`, `tenant_id`,
`invoice_id`, `kind`, `channel` (and `pages` for a letter). `read_transmission` reads any of the
three back into the documents it holds, in order (the run report, the tests)."""

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from autodispatch.channels.ids import kind_of
from autodispatch.models.enums import Channel, DeliveryKind

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class TransmittedDocument:
    """One document of a transmission: what it is for, and its bytes as its route rendered them."""

    message_id: str
    tenant_id: str
    invoice_id: str
    kind: DeliveryKind
    channel: Channel
    content: bytes


@dataclass(frozen=True)
class TransmissionFormat:
    """A transport's transmission file: its file extension, content type, builder and reader."""

    extension: str
    content_type: str
    build: Callable[[Sequence[TransmittedDocument]], bytes]
    read: Callable[[bytes], list[TransmittedDocument]]


SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
EB = "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("SOAP-ENV", SOAP)
ET.register_namespace("eb", EB)
ET.register_namespace("xlink", XLINK)
_ENVELOPE_START = re.compile(rb"<\?xml[^>]*\?>\s*<SOAP-ENV:Envelope\b")
_ENVELOPE_END = b"</SOAP-ENV:Envelope>"


def finvoice_transmission(documents: Sequence[TransmittedDocument]) -> bytes:
    """Each Finvoice message preceded by its SOAP envelope, one after another."""
    parts: list[bytes] = []
    for document in documents:
        parts.append(_envelope(document))
        parts.append(document.content + b"\n")  # one line break between messages, taken off on reading
    return b"".join(parts)


def _envelope(document: TransmittedDocument) -> bytes:
    message = ET.fromstring(document.content)  # noqa: S314 - our own rendered, validated message

    def text(path: str) -> str:
        return (message.findtext(f"MessageTransmissionDetails/{path}") or "").strip()

    envelope = ET.Element(f"{{{SOAP}}}Envelope")
    header = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP}}}Header"), f"{{{EB}}}MessageHeader")
    header.set(f"{{{SOAP}}}mustUnderstand", "1")
    header.set(f"{{{EB}}}version", "2.0")
    parties = (
        ("From", text("MessageSenderDetails/FromIdentifier"), "Sender"),
        ("From", text("MessageSenderDetails/FromIntermediator"), "Intermediator"),
        ("To", text("MessageReceiverDetails/ToIdentifier"), "Receiver"),
        ("To", text("MessageReceiverDetails/ToIntermediator"), "Intermediator"),
    )
    for tag, party, role in parties:
        element = ET.SubElement(header, f"{{{EB}}}{tag}")
        ET.SubElement(element, f"{{{EB}}}PartyId").text = party
        ET.SubElement(element, f"{{{EB}}}Role").text = role
    ET.SubElement(header, f"{{{EB}}}CPAId").text = "yoursandmycpa"
    conversation = f"{quote(document.tenant_id, safe='')}/{quote(document.invoice_id, safe='')}"
    ET.SubElement(header, f"{{{EB}}}ConversationId").text = conversation
    ET.SubElement(header, f"{{{EB}}}Service").text = "Routing"
    ET.SubElement(header, f"{{{EB}}}Action").text = "ProcessInvoice"
    data = ET.SubElement(header, f"{{{EB}}}MessageData")
    ET.SubElement(data, f"{{{EB}}}MessageId").text = document.message_id
    ET.SubElement(data, f"{{{EB}}}Timestamp").text = text("MessageDetails/MessageTimeStamp")
    manifest = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP}}}Body"), f"{{{EB}}}Manifest")
    manifest.set(f"{{{EB}}}id", "Manifest")
    manifest.set(f"{{{EB}}}version", "2.0")
    reference = ET.SubElement(manifest, f"{{{EB}}}Reference")
    reference.set(f"{{{EB}}}id", "Finvoice")
    reference.set(f"{{{XLINK}}}href", document.message_id)
    schema = ET.SubElement(reference, f"{{{EB}}}Schema")
    schema.set(f"{{{EB}}}location", "http://www.finvoice.info/finvoice.xsd")
    schema.set(f"{{{EB}}}version", "3.0")
    ET.indent(envelope)
    buffer = io.BytesIO()
    ET.ElementTree(envelope).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue() + b"\n"


def read_finvoice_transmission(body: bytes) -> list[TransmittedDocument]:
    """The messages of a Finvoice transmission file, each named by its envelope: a part starts
    where an envelope does (no message's own text can hold one: it is escaped), and its message
    follows the envelope's end."""
    starts = [match.start() for match in _ENVELOPE_START.finditer(body)]
    documents = []
    for start, end in zip(starts, [*starts[1:], len(body)], strict=True):
        envelope, found, message = body[start:end].partition(_ENVELOPE_END)
        if not found:
            raise ValueError("a Finvoice transmission's envelope does not end")
        envelope += _ENVELOPE_END
        header = ET.fromstring(envelope).find(f"{{{SOAP}}}Header/{{{EB}}}MessageHeader")  # noqa: S314
        if header is None:
            raise ValueError("a Finvoice transmission's envelope has no MessageHeader")
        message_id = header.findtext(f"{{{EB}}}MessageData/{{{EB}}}MessageId") or ""
        tenant_id, invoice_id = (header.findtext(f"{{{EB}}}ConversationId") or "/").split("/")
        documents.append(
            TransmittedDocument(
                message_id=message_id,
                tenant_id=unquote(tenant_id),
                invoice_id=unquote(invoice_id),
                kind=kind_of(message_id),
                channel=Channel.EINVOICE,
                content=message.removeprefix(b"\n").removesuffix(b"\n"),
            )
        )
    return documents


def _zip_transmission(extension: str, pages: bool) -> Callable[[Sequence[TransmittedDocument]], bytes]:
    def build(documents: Sequence[TransmittedDocument]) -> bytes:
        body = io.BytesIO()
        entries = []
        with zipfile.ZipFile(body, "w") as archive:
            for position, document in enumerate(documents, 1):
                name = f"{position:04d}-{document.message_id}.{extension}"
                # A PDF is compressed already; XML shrinks.
                compression = zipfile.ZIP_STORED if pages else zipfile.ZIP_DEFLATED
                archive.writestr(name, document.content, compress_type=compression)
                entry: dict[str, object] = {
                    "position": position,
                    "file": name,
                    "message_id": document.message_id,
                    "tenant_id": document.tenant_id,
                    "invoice_id": document.invoice_id,
                    "kind": document.kind.value,
                    "channel": document.channel.value,
                }
                if pages:
                    entry["pages"] = pdf_pages(document.content)
                entries.append(entry)
            archive.writestr(MANIFEST, json.dumps({"documents": entries}, indent=1, ensure_ascii=False))
        return body.getvalue()

    return build


def read_zip_transmission(body: bytes) -> list[TransmittedDocument]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        return [
            TransmittedDocument(
                message_id=entry["message_id"],
                tenant_id=entry["tenant_id"],
                invoice_id=entry["invoice_id"],
                kind=DeliveryKind(entry["kind"]),
                channel=Channel(entry["channel"]),
                content=archive.read(entry["file"]),
            )
            for entry in manifest["documents"]
        ]


# The page tree's root: the dictionary that says `/Type /Pages` (its keys in any order).
_PAGES_DICTIONARY = re.compile(rb"<<((?:(?!>>).)*?/Type\s*/Pages\b(?:(?!>>).)*)>>", re.DOTALL)
_COUNT = re.compile(rb"/Count\s+(\d+)")


def pdf_pages(pdf: bytes) -> int:
    """The page count of a PDF: its page tree root's `/Count` (the first `/Type /Pages`
    dictionary, as fpdf2 writes it before any page)."""
    for tree in _PAGES_DICTIONARY.finditer(pdf):
        count = _COUNT.search(tree.group(1))
        if count is not None:
            return int(count.group(1))
    raise ValueError("the PDF has no page tree")


# Each transport's transmission file (models/routes.py names the transports).
TRANSMISSIONS: dict[str, TransmissionFormat] = {
    "einvoice": TransmissionFormat(
        "xml", "application/xml", finvoice_transmission, read_finvoice_transmission
    ),
    "peppol": TransmissionFormat(
        "zip", "application/zip", _zip_transmission("xml", False), read_zip_transmission
    ),
    "print": TransmissionFormat(
        "zip", "application/zip", _zip_transmission("pdf", True), read_zip_transmission
    ),
}


def read_transmission(key: str, body: bytes) -> list[TransmittedDocument]:
    """The documents of the outbox object `key` (`outbox/<transport>/...`), in order."""
    transport = key.split("/")[1]
    return TRANSMISSIONS[transport].read(body)
