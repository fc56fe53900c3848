"""R4 on moto: S3 outbox, S3 archive, SES v2, Secrets Manager, and the
demo scenario delivered through `build_deliverer`."""

import email
import email.policy
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import pytest
import xmlschema
from moto import mock_aws
from moto.backends import get_backend
from pypdf import PdfReader

from autodispatch.channels.archive import RE_RENDERED_MEMBER, S3BatchArchive
from autodispatch.channels.deliverer import build_deliverer
from autodispatch.channels.peppol_rules import broken_rules
from autodispatch.channels.port import Delivered, Occasion
from autodispatch.channels.transmission import read_transmission
from autodispatch.channels.transports import OutboxObjects, S3OutboxTransport, secret_api_key
from autodispatch.config import RuntimeConfig
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.enums import CHAIN_ORDER, Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Scenario
from autodispatch.rules.factoring import factoring_route
from autodispatch.rules.usability import channel_unusable
from autodispatch.ses import OutgoingEmail, SesEmailSender

BUCKET = "autodispatch-test"
SENDER = "laskut@autodispatch.example"
XSD = Path(__file__).resolve().parents[1] / "fixtures" / "Finvoice3.0.xsd"
METADATA = {"tenant-id": "kahvila", "invoice-id": "k-1001", "kind": "INVOICE", "channel": "EINVOICE"}


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def aws(aws_environment: None) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
        sesv2 = boto3.client("sesv2")
        sesv2.create_email_identity(EmailIdentity=SENDER)
        # S3 writes by the key's first part (outbox, archive), for the cost checks.
        puts: Counter[str] = Counter()
        s3.meta.events.register(
            "before-parameter-build.s3.PutObject",
            lambda params, **_: puts.update([params["Key"].split("/", 1)[0]]),
        )
        yield {"s3": s3, "sesv2": sesv2, "secrets": boto3.client("secretsmanager"), "puts": puts}


def sent_emails() -> list[Any]:
    account = get_backend("ses")
    return list(account["123456789012"]["eu-north-1"].sent_messages)


def parse(raw: str | bytes) -> EmailMessage:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_r4_s3_outbox_retry_overwrites_the_same_key(aws: dict[str, Any]) -> None:
    """A document sent on its own (a manual send, a factoring copy, a repeat) is a transmission of
    one, under a key its message id makes: a repeat overwrites it."""
    outbox = S3OutboxTransport(lambda: aws["s3"], BUCKET, "einvoice")

    outbox.submit("INV-1", b"<Finvoice>first</Finvoice>", "application/xml", METADATA)
    outbox.submit("INV-1", b"<Finvoice>retry</Finvoice>", "application/xml", METADATA)

    listed = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="outbox/")["Contents"]
    assert [item["Key"] for item in listed] == ["outbox/einvoice/kahvila/INV-1.xml"]
    stored = aws["s3"].get_object(Bucket=BUCKET, Key="outbox/einvoice/kahvila/INV-1.xml")
    [document] = read_transmission(listed[0]["Key"], stored["Body"].read())
    assert document.content == b"<Finvoice>retry</Finvoice>"
    assert (document.tenant_id, document.invoice_id, document.message_id) == ("kahvila", "k-1001", "INV-1")
    assert stored["ContentType"] == "application/xml"


def test_r4_outbox_keys_are_ascii_and_transmissions_carry_any_id(aws: dict[str, Any]) -> None:
    outbox = S3OutboxTransport(lambda: aws["s3"], BUCKET, "print")
    metadata = {**METADATA, "tenant-id": "kahvila/ä", "invoice-id": "lasku 7 ☕", "channel": "PRINT"}

    outbox.submit("INV-2", PDF_OF_ONE_PAGE, "application/pdf", metadata)

    key = "outbox/print/kahvila%2F%C3%A4/INV-2.zip"
    [document] = read_transmission(key, aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert (document.tenant_id, document.invoice_id) == ("kahvila/ä", "lasku 7 ☕")


# The least a print letter's page count is read from (channels/transmission.pdf_pages).
PDF_OF_ONE_PAGE = b"%PDF-1.3\n1 0 obj\n<<\n/Count 1\n/Kids [3 0 R]\n/Type /Pages\n>>\nendobj\n"


def test_r23_a_batchs_outbox_object_is_written_once_with_its_documents_in_order(aws: dict[str, Any]) -> None:
    """Cost: a batch attempt's documents for one transport are one object, written once."""
    outbox = S3OutboxTransport(lambda: aws["s3"], BUCKET, "einvoice")
    keys = [outbox.reserve("run/batch/token") for _ in range(3)]
    assert len(set(keys)) == 1
    for number, key in enumerate(keys, 1):
        outbox.stage(key, f"INV-{number}", f"<Finvoice>{number}</Finvoice>".encode(), METADATA)
    assert dict(aws["puts"]) == {}  # nothing before the batch writes it

    assert outbox.transmit("run/batch/token") == {keys[0]: True}
    assert dict(aws["puts"]) == {"outbox": 1}
    assert keys[0] == "outbox/einvoice/run/batch/token-1.xml"
    body = aws["s3"].get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    assert [d.message_id for d in read_transmission(keys[0], body)] == ["INV-1", "INV-2", "INV-3"]
    assert OutboxObjects(lambda: aws["s3"], BUCKET).exists(keys[0])
    assert not OutboxObjects(lambda: aws["s3"], BUCKET).exists("outbox/einvoice/run/batch/other-1.xml")


def test_r23_an_outbox_object_that_reaches_its_size_is_written_once_its_documents_have_come(
    aws: dict[str, Any],
) -> None:
    """The size bound: a part is sealed at `part_bytes` and written as soon as every document
    reserved in it has come; the next reservations go to the next part."""
    outbox = S3OutboxTransport(lambda: aws["s3"], BUCKET, "einvoice", part_bytes=40)
    first, second = outbox.reserve("r/b/t"), outbox.reserve("r/b/t")
    outbox.stage(first, "INV-1", b"<Finvoice>" + b"x" * 40 + b"</Finvoice>", METADATA)  # sealed
    third = outbox.reserve("r/b/t")
    assert third != first
    assert dict(aws["puts"]) == {}  # INV-2 was reserved in the first part and has not come
    outbox.stage(second, "INV-2", b"<Finvoice>2</Finvoice>", METADATA)
    assert dict(aws["puts"]) == {"outbox": 1}  # written early, whole
    outbox.stage(third, "INV-3", b"<Finvoice>3</Finvoice>", METADATA)

    assert outbox.transmit("r/b/t") == {first: True, third: True}
    assert dict(aws["puts"]) == {"outbox": 2}


def test_r23_an_outbox_object_s3_refuses_is_reported_unwritten(aws: dict[str, Any]) -> None:
    outbox = S3OutboxTransport(lambda: aws["s3"], "no-such-bucket", "einvoice")
    key = outbox.reserve("r/b/t")
    outbox.stage(key, "INV-1", b"<Finvoice>1</Finvoice>", METADATA)

    assert outbox.transmit("r/b/t") == {key: False}
    with pytest.raises(TransientError):  # a bucket S3 does not know: not "absent", unknown
        OutboxObjects(lambda: aws["s3"], "no-such-bucket").exists(key)


def test_r19_archive_members_named_per_tenant_invoice_channel_and_kind(
    aws: dict[str, Any], scenario: Scenario
) -> None:
    invoice = scenario.invoices[0]
    archive = S3BatchArchive(lambda: aws["s3"], BUCKET, kms=True)

    key = archive.put(invoice, Channel.EINVOICE, DeliveryKind.INVOICE, "INV-1", b"<Finvoice/>", "xml")
    assert archive.flush() == 1
    assert archive.flush() == 0  # flushed copies are not written again

    batch, _, member = key.partition("#")
    assert batch.startswith("archive/batches/")
    assert member == "archive/kahvila/k-1001/EINVOICE/INVOICE/INV-1.xml"
    stored = aws["s3"].get_object(Bucket=BUCKET, Key=batch)
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert zipfile.ZipFile(io.BytesIO(stored["Body"].read())).read(member) == b"<Finvoice/>"


def test_r4_ses_v2_receives_the_raw_message(aws: dict[str, Any]) -> None:
    headers = [f"From: Kahvila <{SENDER}>", "To: a@example.com", "Subject: x", "X-Autodispatch-Invoice: k-1"]
    raw = ("\r\n".join(headers) + "\r\n\r\nhi\r\n").encode()
    message_id = SesEmailSender(lambda: aws["sesv2"]).send(OutgoingEmail(raw, SENDER, ("a@example.com",)))

    [received] = sent_emails()
    assert received.id == message_id
    assert received.source == SENDER
    assert "a@example.com" in received.destinations
    assert parse(received.raw_data)["X-Autodispatch-Invoice"] == "k-1"


def test_r12_ses_unverified_sender_is_a_permanent_rejection(aws: dict[str, Any]) -> None:
    outgoing = OutgoingEmail(b"Subject: x\r\n\r\nx", "someone@unverified.example", ("a@example.com",))

    with pytest.raises(PermanentRejection, match="MessageRejected"):
        SesEmailSender(lambda: aws["sesv2"]).send(outgoing)


def test_r4_api_key_comes_from_secrets_manager_once(aws: dict[str, Any]) -> None:
    aws["secrets"].create_secret(Name="operator", SecretString=json.dumps({"api_key": "k-123"}))
    aws["secrets"].create_secret(Name="printer", SecretString="plain-key")
    calls: list[str] = []

    def client() -> Any:
        calls.append("client")
        return aws["secrets"]

    operator_key = secret_api_key(client, "operator")
    assert operator_key() == "k-123"
    assert operator_key() == "k-123"
    assert calls == ["client"]
    assert secret_api_key(client, "printer")() == "plain-key"


def first_usable(invoice: Invoice, scenario: Scenario) -> Channel | None:
    tenant = next(t for t in scenario.tenants if t.tenant_id == invoice.tenant_id)
    return next((c for c in CHAIN_ORDER if channel_unusable(c, invoice, tenant) is None), None)


def test_r4_demo_scenario_delivers_valid_einvoices_readable_emails_and_windowed_letters(
    aws: dict[str, Any], scenario: Scenario
) -> None:
    config = RuntimeConfig(TABLE_NAME="t", BUCKET_NAME=BUCKET, SENDER_EMAIL=SENDER)
    deliverer = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    tenants = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    delivered: dict[Channel, list[Invoice]] = {channel: [] for channel in Channel}
    for invoice in scenario.invoices:
        channel = first_usable(invoice, scenario)
        if channel is None:
            continue
        receipt = deliverer.deliver(invoice, tenants[invoice.tenant_id], channel, DeliveryKind.INVOICE)
        deliverer.flush_archive()
        delivered[channel].append(invoice)
        stored = aws["s3"].get_object(Bucket=BUCKET, Key=receipt.archive_key.partition("#")[0])
        assert stored["ContentLength"] > 0
        route = factoring_route(invoice, tenants[invoice.tenant_id])
        if route is not None:
            deliverer.deliver_factoring(invoice, tenants[invoice.tenant_id], route)
    assert all(delivered.values()), delivered

    outbox = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="outbox/")["Contents"]
    documents = [
        document
        for item in outbox
        for document in read_transmission(
            item["Key"], aws["s3"].get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        )
    ]
    for document in documents:
        body = document.content
        if body.startswith(b"<?xml") and b"urn:oasis:names:specification:ubl" in body:
            assert broken_rules(body) == []  # Peppol BIS 3: the official EN 16931 and Peppol rules
        elif document.channel is Channel.EINVOICE:
            schema().validate(body.decode("utf-8"))
        else:
            invoice = next(i for i in scenario.invoices if i.invoice_id == document.invoice_id)
            assert invoice.customer.address is not None
            first_page = PdfReader(BytesIO(body)).pages[0].extract_text()
            assert f"{invoice.customer.address.postcode} {invoice.customer.address.town}" in first_page

    emails = [parse(raw.raw_data) for raw in sent_emails()]
    kinds = {
        (str(message["X-Autodispatch-Invoice"]), str(message["X-Autodispatch-Kind"])) for message in emails
    }
    assert {(invoice.invoice_id, "INVOICE") for invoice in delivered[Channel.EMAIL]} <= kinds
    assert ("k-1009", "FACTORING") in kinds  # the demo financier takes email
    for message in emails:
        part = next(message.iter_attachments())
        pdf = part.get_content()
        assert isinstance(pdf, bytes)
        number = next(
            i.number for i in scenario.invoices if i.invoice_id == str(message["X-Autodispatch-Invoice"])
        )
        assert number in PdfReader(BytesIO(pdf)).pages[0].extract_text()


def test_r19_copies_that_cannot_be_written_wait_for_the_next_flush(
    aws: dict[str, Any], scenario: Scenario
) -> None:
    invoice = scenario.invoices[0]
    archive = S3BatchArchive(lambda: aws["s3"], "no-such-bucket")
    key = archive.put(invoice, Channel.EMAIL, DeliveryKind.INVOICE, "INV-2", b"raw", "eml")

    with pytest.raises(TransientError):
        archive.flush()
    aws["s3"].create_bucket(
        Bucket="no-such-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    assert archive.flush() == 1

    batch, _, member = key.partition("#")
    stored = aws["s3"].get_object(Bucket="no-such-bucket", Key=batch)["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(stored)).read(member) == b"raw"


# Cost: at most one S3 write per delivered document. With the S3 outbox the outbox object is the
# archived copy; the copies of everything else a batch delivered are one archive object.
@pytest.mark.parametrize(
    ("invoice_id", "channel", "expected"),
    [
        ("k-1001", Channel.EINVOICE, {"outbox": 1}),
        ("k-1004", Channel.PRINT, {"outbox": 1}),
        ("k-1003", Channel.EMAIL, {"archive": 1}),
    ],
)
def test_r19_one_s3_write_per_delivered_document(
    aws: dict[str, Any], scenario: Scenario, invoice_id: str, channel: Channel, expected: dict[str, int]
) -> None:
    config = RuntimeConfig(TABLE_NAME="t", BUCKET_NAME=BUCKET, SENDER_EMAIL=SENDER)
    deliverer = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    invoice = next(i for i in scenario.invoices if i.invoice_id == invoice_id)
    tenant = next(t for t in scenario.tenants if t.tenant_id == invoice.tenant_id)

    receipt = deliverer.deliver(invoice, tenant, channel, DeliveryKind.INVOICE)
    deliverer.flush_archive()

    assert dict(aws["puts"]) == expected
    key, _, member = receipt.archive_key.partition("#")
    stored = aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    if key.startswith("outbox/"):  # the transmission holds the document, named by its message id
        [document] = [d for d in read_transmission(key, stored) if d.message_id == member]
        assert document.content
    else:
        assert zipfile.ZipFile(io.BytesIO(stored)).read(member)


def test_r19_the_emails_of_a_batch_are_archived_in_one_write(aws: dict[str, Any], scenario: Scenario) -> None:
    config = RuntimeConfig(TABLE_NAME="t", BUCKET_NAME=BUCKET, SENDER_EMAIL=SENDER)
    deliverer = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    tenant = next(t for t in scenario.tenants if t.tenant_id == "kahvila")
    emailed = [i for i in scenario.invoices if i.invoice_id in {"k-1002", "k-1003", "k-1010"}]

    receipts = [
        deliverer.deliver(invoice, tenant, Channel.EMAIL, DeliveryKind.INVOICE) for invoice in emailed
    ]
    assert dict(aws["puts"]) == {}  # nothing yet: the batch's copies go together
    deliverer.flush_archive()

    assert dict(aws["puts"]) == {"archive": 1}
    [key] = {receipt.archive_key.partition("#")[0] for receipt in receipts}
    archived = zipfile.ZipFile(io.BytesIO(aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()))
    assert sorted(archived.namelist()) == sorted(
        receipt.archive_key.partition("#")[2] for receipt in receipts
    )


def test_r19_a_batchs_lost_copies_are_rendered_again_into_its_archive_labelled(
    aws: dict[str, Any], scenario: Scenario
) -> None:
    """The emails were sent and their process died before the batch's archive object: a later
    invocation finds nothing under the batch's scope, renders each copy again from the recorded
    instant (the bytes the first process archived elsewhere), labels them, and writes one object;
    a further invocation finds them and renders nothing. An outbox document is its own copy."""
    config = RuntimeConfig(TABLE_NAME="t", BUCKET_NAME=BUCKET, SENDER_EMAIL=SENDER)
    tenant = next(t for t in scenario.tenants if t.tenant_id == "kahvila")
    emailed = [i for i in scenario.invoices if i.invoice_id in {"k-1002", "k-1003", "k-1010"}]
    at = datetime(2026, 3, 10, 22, 30, 5, tzinfo=UTC)
    first = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    for invoice in emailed:
        first.deliver(
            invoice, tenant, Channel.EMAIL, DeliveryKind.INVOICE, Occasion(at=at, scope="run/first")
        )
    first.deliver(emailed[0], tenant, Channel.PRINT, DeliveryKind.INVOICE, Occasion(at=at, scope="run/first"))
    assert first.flush_archive()
    aws["puts"].clear()
    deliveries = [
        Delivered(invoice=invoice, tenant=tenant, channel=Channel.EMAIL, kind=DeliveryKind.INVOICE, at=at)
        for invoice in emailed
    ]
    printed = Delivered(
        invoice=emailed[0], tenant=tenant, channel=Channel.PRINT, kind=DeliveryKind.INVOICE, at=at
    )

    later = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    assert later.recover_copies("run/second", [*deliveries, printed]) == len(emailed)
    assert later.flush_archive()

    assert dict(aws["puts"]) == {"archive": 1}
    objects = {
        key.split("/")[3]: aws["s3"].get_object(Bucket=BUCKET, Key=key)
        for key in (
            item["Key"] for item in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="archive/")["Contents"]
        )
    }
    assert set(objects) == {"first", "second"}
    original = zipfile.ZipFile(io.BytesIO(objects["first"]["Body"].read()))
    again = zipfile.ZipFile(io.BytesIO(objects["second"]["Body"].read()))
    copies = sorted(original.namelist())
    assert sorted(again.namelist()) == sorted([*copies, RE_RENDERED_MEMBER])
    assert all(again.read(name) == original.read(name) for name in copies)
    assert json.loads(again.read(RE_RENDERED_MEMBER)) == copies
    assert objects["second"]["Metadata"] == {"re-rendered": "3"}
    assert objects["first"]["Metadata"] == {"re-rendered": "0"}

    aws["puts"].clear()
    assert build_deliverer(config, s3_client=aws["s3"]).recover_copies("run/second", deliveries) == 0
    assert dict(aws["puts"]) == {}
