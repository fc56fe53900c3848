"""Issue 3, items 6 and 7: the ChannelDeliverer with in-memory transports, sender and archive."""

import email
import email.policy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from autodispatch.channels.archive import archive_key
from autodispatch.channels.deliverer import ChannelDeliverer, build_deliverer
from autodispatch.channels.port import Deliverer
from autodispatch.channels.transports import HttpTransport, S3OutboxTransport
from autodispatch.config import RuntimeConfig
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice
from autodispatch.rules.factoring import factoring_route
from autodispatch.ses import OutgoingEmail


class FakeTransport:
    def __init__(self) -> None:
        self.submitted: list[tuple[str, bytes, str, dict[str, str]]] = []

    def submit(self, message_id: str, content: bytes, content_type: str, metadata: Mapping[str, str]) -> None:
        self.submitted.append((message_id, content, content_type, dict(metadata)))


class FakeSender:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[OutgoingEmail] = []
        self.error = error

    def send(self, message: OutgoingEmail) -> str:
        if self.error is not None:
            raise self.error
        self.sent.append(message)
        return "ses-id"


class FakeArchive:
    def __init__(self, fail: bool = False) -> None:
        self.stored: dict[str, bytes] = {}
        self.fail = fail

    def put(
        self,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        message_id: str,
        content: bytes,
        extension: str,
    ) -> str:
        if self.fail:
            raise TransientError("archive down", in_doubt=True)
        key = archive_key(invoice, channel, kind, message_id, extension)
        self.stored[key] = content
        return key


class Parts:
    def __init__(self, sender_error: Exception | None = None, archive_fails: bool = False) -> None:
        self.einvoice, self.print = FakeTransport(), FakeTransport()
        self.email, self.archive = FakeSender(sender_error), FakeArchive(archive_fails)
        self.deliverer = ChannelDeliverer(
            einvoice=self.einvoice,
            print_service=self.print,
            email=self.email,
            archive=self.archive,
            sender_email="laskut@autodispatch.example",
            clock=lambda: datetime(2026, 3, 10, 0, 5, tzinfo=UTC),
        )


def test_issue3_channel_deliverer_implements_the_port() -> None:
    deliverer: Deliverer = Parts().deliverer
    assert deliverer.is_idempotent(Channel.EINVOICE)


def test_issue3_einvoice_is_submitted_as_finvoice_and_archived(build: Any) -> None:
    parts = Parts()

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)

    [(message_id, content, content_type, metadata)] = parts.einvoice.submitted
    assert receipt.message_id == message_id
    assert content_type == "application/xml"
    assert b"<Finvoice" in content
    assert metadata == {
        "tenant-id": "seller",
        "invoice-id": "inv-1",
        "kind": "INVOICE",
        "channel": "EINVOICE",
    }
    assert receipt.archive_key == f"archive/seller/inv-1/EINVOICE/INVOICE/{message_id}.xml"
    assert parts.archive.stored[receipt.archive_key] == content


def test_issue3_print_letter_goes_to_the_print_transport(build: Any) -> None:
    parts = Parts()

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.PRINT, DeliveryKind.INVOICE)

    [(_, content, content_type, _)] = parts.print.submitted
    assert content.startswith(b"%PDF")
    assert content_type == "application/pdf"
    assert receipt.archive_key.endswith(".pdf")


def test_issue3_email_is_sent_and_archived_as_eml(build: Any) -> None:
    parts = Parts()

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)

    [sent] = parts.email.sent
    assert sent.recipients == ("ostolaskut@rakennus.example",)
    assert parts.archive.stored[receipt.archive_key] == sent.raw
    message = email.message_from_bytes(sent.raw, policy=email.policy.default)
    assert message["Message-ID"] == f"<{receipt.message_id}@autodispatch.example>"


def test_r18_direct_payment_notice_goes_by_consumer_einvoice_or_print_never_email(build: Any) -> None:
    parts = Parts()
    customer = build.consumer_customer(einvoice_consent=build.CONSENT)
    invoice = build.invoice(customer=customer, payment_method="DIRECT_PAYMENT")

    parts.deliverer.deliver(invoice, build.tenant(), Channel.EINVOICE, DeliveryKind.DIRECT_PAYMENT_NOTICE)
    parts.deliverer.deliver(invoice, build.tenant(), Channel.PRINT, DeliveryKind.DIRECT_PAYMENT_NOTICE)
    with pytest.raises(PermanentRejection, match="R18"):
        parts.deliverer.deliver(invoice, build.tenant(), Channel.EMAIL, DeliveryKind.DIRECT_PAYMENT_NOTICE)

    assert b"SUORAMAKSU" in parts.einvoice.submitted[0][1]
    assert parts.print.submitted[0][3]["kind"] == "DIRECT_PAYMENT_NOTICE"


@pytest.mark.parametrize(
    ("channel", "customer", "refusal", "reason"),
    [
        (Channel.EINVOICE, {"einvoice_address": None}, PermanentRejection, "no e-invoice address"),
        (Channel.EMAIL, {"email": None}, PermanentRejection, "no email address"),
        (Channel.PRINT, {"address": None}, ValueError, "needs the customer's postal address"),
    ],
)
def test_r13_r15_a_document_that_cannot_be_built_is_refused_and_nothing_is_handed_over(
    build: Any, channel: Channel, customer: dict[str, Any], refusal: type[Exception], reason: str
) -> None:
    """The rules decide usability before `deliver`; given an unusable channel anyway (a
    programming error), the renderer refuses and no transport sees anything."""
    parts = Parts()
    invoice = build.invoice(customer=build.business_customer(**customer))

    with pytest.raises(refusal, match=reason):
        parts.deliverer.deliver(invoice, build.tenant(), channel, DeliveryKind.INVOICE)
    assert parts.einvoice.submitted == []
    assert parts.print.submitted == []
    assert parts.email.sent == []


def test_r12_ses_rejection_passes_through_as_permanent(build: Any) -> None:
    parts = Parts(sender_error=PermanentRejection("the email service rejected the message (MessageRejected)"))

    with pytest.raises(PermanentRejection):
        parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)
    assert parts.archive.stored == {}  # only what was sent is archived


def test_r23_only_email_is_not_idempotent_and_retries_reuse_the_message_id(build: Any) -> None:
    parts = Parts()
    deliverer = parts.deliverer

    first = deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)
    again = deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)

    assert first == again
    assert [deliverer.is_idempotent(channel) for channel in Channel] == [True, False, True]


def test_r23_archive_failure_after_an_email_keeps_the_delivery_and_after_einvoice_retries(build: Any) -> None:
    parts = Parts(archive_fails=True)

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)
    assert len(parts.email.sent) == 1
    assert receipt.archive_key == ""
    with pytest.raises(TransientError):
        parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)


def test_r17_factoring_message_goes_to_the_financiers_einvoice_address_or_email(build: Any) -> None:
    parts = Parts()
    by_einvoice = build.tenant(
        factoring={
            "financier_name": "Rahoitus Oy",
            "agreement_id": "FA-1",
            "einvoice_address": "003712345671",
            "einvoice_operator": "003721291126",
        }
    )
    by_email = build.tenant(
        factoring={
            "financier_name": "Rahoitus Oy",
            "agreement_id": "FA-2",
            "email": "factoring@rahoitus.example",
        }
    )
    invoice = build.invoice(factoring=True)

    route = factoring_route(invoice, by_einvoice)
    assert route is not None
    einvoice_receipt = parts.deliverer.deliver_factoring(invoice, by_einvoice, route)
    route = factoring_route(invoice, by_email)
    assert route is not None
    email_receipt = parts.deliverer.deliver_factoring(invoice, by_email, route)

    assert einvoice_receipt.kind is DeliveryKind.FACTORING
    assert (
        b"<FactoringAgreementIdentifier>FA-1</FactoringAgreementIdentifier>" in parts.einvoice.submitted[0][1]
    )
    assert parts.einvoice.submitted[0][3]["kind"] == "FACTORING"
    assert email_receipt.channel is Channel.EMAIL
    assert parts.email.sent[0].recipients == ("factoring@rahoitus.example",)


def test_issue3_build_deliverer_chooses_transports_from_configuration_without_creating_clients() -> None:
    outbox = build_deliverer(RuntimeConfig(TABLE_NAME="t", BUCKET_NAME="b"))
    http = build_deliverer(
        RuntimeConfig(
            TABLE_NAME="t",
            BUCKET_NAME="b",
            EINVOICE_TRANSPORT="http",
            EINVOICE_ENDPOINT="https://operator.example/v1",
            PRINT_TRANSPORT="http",
            PRINT_ENDPOINT="https://print.example/letters",
        )
    )

    assert isinstance(outbox._einvoice, S3OutboxTransport)
    assert isinstance(outbox._print, S3OutboxTransport)
    assert isinstance(http._einvoice, HttpTransport)
    assert isinstance(http._print, HttpTransport)
    with pytest.raises(ValueError, match="endpoint"):
        build_deliverer(RuntimeConfig(TABLE_NAME="t", BUCKET_NAME="b", PRINT_TRANSPORT="http"))
