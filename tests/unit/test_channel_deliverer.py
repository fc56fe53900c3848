"""R4: the ChannelDeliverer with in-memory transports, sender and archive."""

import email
import email.policy
import inspect
from typing import Any

import pytest

from autodispatch.channels import documents
from autodispatch.channels.deliverer import ChannelDeliverer, build_deliverer
from autodispatch.channels.port import Deliverer
from autodispatch.channels.transports import HttpTransport, S3OutboxTransport
from autodispatch.config import RuntimeConfig
from autodispatch.errors import PermanentRejection
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.text import Text
from autodispatch.rules.factoring import factoring_route
from tests.fakes.channels import Parts


def test_r4_channel_deliverer_implements_every_method_of_the_port() -> None:
    members = [name for name in vars(Deliverer) if not name.startswith("_")]
    assert sorted(members) == [
        "abandon",
        "deliver",
        "deliver_factoring",
        "flush_archive",
        "recover_copies",
        "transmission_for",
        "transmit",
        "transmitted",
    ]
    for name in members:
        port = inspect.signature(getattr(Deliverer, name))
        adapter = inspect.signature(getattr(ChannelDeliverer, name))
        assert list(adapter.parameters) == list(port.parameters), name


def test_r4_einvoice_is_submitted_as_finvoice_and_archived(build: Any) -> None:
    parts = Parts()

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)
    parts.deliverer.flush_archive()

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


def test_r4_print_letter_goes_to_the_print_transport(build: Any) -> None:
    parts = Parts()

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.PRINT, DeliveryKind.INVOICE)

    [(_, content, content_type, _)] = parts.print.submitted
    assert content.startswith(b"%PDF")
    assert content_type == "application/pdf"
    assert receipt.archive_key.endswith(".pdf")


def test_r4_email_is_sent_and_archived_as_eml(build: Any) -> None:
    parts = Parts()

    receipt = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)
    parts.deliverer.flush_archive()

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
    with pytest.raises(PermanentRejection) as refused:
        parts.deliverer.deliver(invoice, build.tenant(), Channel.EMAIL, DeliveryKind.DIRECT_PAYMENT_NOTICE)
    # The reason the invoice's history shows: the guide's words, no rule number or channel code.
    assert refused.value.text == Text.of("reason.direct_payment_channel")

    assert b"SUORAMAKSU" in parts.einvoice.submitted[0][1]
    assert parts.print.submitted[0][3]["kind"] == "DIRECT_PAYMENT_NOTICE"


@pytest.mark.parametrize(
    ("channel", "customer", "reason"),
    [
        (Channel.EINVOICE, {"einvoice_address": None}, "no e-invoice address"),
        (Channel.EMAIL, {"email": None}, "no email address"),
        (
            Channel.PRINT,
            {"address": None},
            r"the invoice by print service could not be built .*\(ValueError\)",
        ),
    ],
)
def test_r13_r15_a_document_that_cannot_be_built_is_refused_and_nothing_is_handed_over(
    build: Any, channel: Channel, customer: dict[str, Any], reason: str
) -> None:
    """The rules decide usability before `deliver`; given an unusable channel anyway, the
    renderer refuses for good and no transport sees anything."""
    parts = Parts()
    invoice = build.invoice(customer=build.business_customer(**customer))

    with pytest.raises(PermanentRejection, match=reason):
        parts.deliverer.deliver(invoice, build.tenant(), channel, DeliveryKind.INVOICE)
    assert parts.einvoice.submitted == []
    assert parts.print.submitted == []
    assert parts.email.sent == []


def test_r12_r25_a_document_that_cannot_be_built_refuses_the_email_for_good_and_sends_nothing(
    build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renderer that fails on the invoice's data (here its PDF): the email cannot be built, which
    is a refusal of that channel (the chain goes on), never an unknown outcome."""
    parts = Parts()
    invoice = build.invoice()

    def unbuildable(*_: Any) -> bytes:
        raise ValueError("no room for the text")

    monkeypatch.setattr(documents, "render_invoice_pdf", unbuildable)
    with pytest.raises(PermanentRejection, match=r"the invoice by email could not be built .*\(ValueError\)"):
        parts.deliverer.deliver(invoice, build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)
    assert parts.email.sent == []
    receipt = parts.deliverer.deliver(invoice, build.tenant(), Channel.PRINT, DeliveryKind.INVOICE)
    assert [submitted[0] for submitted in parts.print.submitted] == [receipt.message_id]


def test_r12_ses_rejection_passes_through_as_permanent(build: Any) -> None:
    parts = Parts(sender_error=PermanentRejection("the email service rejected the message (MessageRejected)"))

    with pytest.raises(PermanentRejection):
        parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)
    assert parts.archive.stored == {}  # only what was sent is archived


def test_r23_retries_reuse_the_message_id(build: Any) -> None:
    parts = Parts()
    deliverer = parts.deliverer

    first = deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)
    again = deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)

    assert first == again
    assert [message_id for message_id, *_ in parts.einvoice.submitted] == [first.message_id] * 2


def test_r23_an_archive_that_cannot_be_written_never_undoes_or_repeats_a_delivery(build: Any) -> None:
    parts = Parts(archive_fails=True)

    by_email = parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EMAIL, DeliveryKind.INVOICE)
    parts.deliverer.deliver(build.invoice(), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)
    parts.deliverer.flush_archive()  # logged, not raised: the deliveries stand

    assert (len(parts.email.sent), len(parts.einvoice.submitted)) == (1, 1)
    assert parts.archive.stored == {}
    assert by_email.archive_key in parts.archive.taken  # kept for the next flush
    parts.archive.fail = False
    parts.deliverer.flush_archive()
    assert len(parts.archive.stored) == 2


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


def test_r4_build_deliverer_chooses_transports_from_configuration_without_creating_clients() -> None:
    outbox = build_deliverer(RuntimeConfig(TABLE_NAME="t", BUCKET_NAME="b"))
    http = build_deliverer(
        RuntimeConfig(
            TABLE_NAME="t",
            BUCKET_NAME="b",
            EINVOICE_TRANSPORT="http",
            EINVOICE_ENDPOINT="https://operator.example/v1",
            PEPPOL_TRANSPORT="http",
            PEPPOL_ENDPOINT="https://access-point.example/as4",
            PRINT_TRANSPORT="http",
            PRINT_ENDPOINT="https://print.example/letters",
        )
    )

    # One transport per route's transport name in the route table.
    assert sorted(outbox._transports) == sorted(http._transports) == ["einvoice", "peppol", "print"]
    assert all(isinstance(transport, S3OutboxTransport) for transport in outbox._transports.values())
    assert all(isinstance(transport, HttpTransport) for transport in http._transports.values())
    with pytest.raises(ValueError, match="endpoint"):
        build_deliverer(RuntimeConfig(TABLE_NAME="t", BUCKET_NAME="b", PRINT_TRANSPORT="http"))
