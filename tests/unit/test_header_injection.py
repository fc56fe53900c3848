"""R25: no display name, subject or header value can add a header to an email, on every Python the
project accepts (CVE-2024-6923: before 3.11.10/3.12.5 the email package writes what an RFC 2047
encoded word decodes to, line breaks included). These run on the interpreter `make test` uses and
look at the raw bytes handed to SES (the corpus in tests/e2e reads them back from SES itself)."""

import email.policy
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from typing import Any

import pytest

from autodispatch.channels.mail import render_factoring_email, render_invoice_email
from autodispatch.mime import UnsafeText, message_bytes
from autodispatch.models.scenario import Factoring
from autodispatch.notify.aws import SesSnsNotifier

# The exact payload of the report: decodes to "Evil\r\nBcc: evil@evil.example".
PAYLOAD = "=?utf-8?b?RXZpbA0KQmNjOiBldmlsQGV2aWwuZXhhbXBsZQ==?="
PAYLOADS = [
    PAYLOAD,
    "=?utf-8?q?Evil=0D=0ABcc:_evil@evil.example?=",
    "Oy =?UTF-8?B?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?= Ab",
    "=?iso-8859-1?q?=0ABcc:evil@evil.example?=x",
]
NOW = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
SENDER = "laskut@autodispatch.example"


class RecordingSes:
    """Stands in for the SES v2 client: keeps the raw bytes of every message handed to it."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.raw.append(request["Content"]["Raw"]["Data"])
        return {"MessageId": f"m-{len(self.raw)}"}


def header_names(raw: bytes) -> list[str]:
    return sorted(name.lower() for name in BytesHeaderParser(policy=compat32).parsebytes(raw))


def assert_no_injected_header(raw: bytes) -> None:
    names = header_names(raw)
    assert "bcc" not in names
    assert len(names) == len(set(names)), names
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"evil@evil.example" not in head


def shown(raw: bytes, name: str) -> str:
    """The header as an RFC 2047 reader shows it; the word joiner the renderer adds is invisible."""
    value = BytesHeaderParser(policy=compat32).parsebytes(raw)[name]
    return str(make_header(decode_header(value))).replace("\u2060", "")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_r25_encoded_word_in_tenant_and_customer_name_adds_no_header(build, payload):
    tenant = build.tenant(name=payload)
    invoice = build.invoice(delivery_channel="EMAIL", customer=build.business_customer(name=payload))
    outgoing = render_invoice_email(
        invoice, tenant, b"%PDF-1.4", sender_email=SENDER, message_id="m", now=NOW
    )
    raw = outgoing.raw  # exactly the Raw Data the channel's SES sender hands to SendEmail
    assert_no_injected_header(raw)
    assert header_names(raw) == sorted(
        [
            "from",
            "to",
            "reply-to",
            "subject",
            "date",
            "message-id",
            "x-autodispatch-tenant",
            "x-autodispatch-invoice",
            "x-autodispatch-kind",
            "mime-version",
            "content-type",
        ]
    )
    # The names arrive as given, shown literally, never decoded a second time.
    assert shown(raw, "From") == f"{payload} <{SENDER}>"
    assert shown(raw, "To") == f"{payload} <ostolaskut@rakennus.example>"
    assert shown(raw, "Subject").endswith(payload)


def test_r25_encoded_word_in_financier_name_adds_no_header(build):
    agreement = Factoring(financier_name=PAYLOAD, agreement_id="FA-1", email="factoring@rahoitus.example")
    tenant = build.tenant(name=PAYLOAD)
    outgoing = render_factoring_email(
        build.invoice(factoring=True),
        tenant,
        agreement,
        b"%PDF",
        sender_email=SENDER,
        message_id="m",
        now=NOW,
    )
    assert_no_injected_header(outgoing.raw)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_r21_notification_subject_and_headers_add_no_header(payload):
    ses = RecordingSes()
    notifier = SesSnsNotifier(SENDER, sesv2_client=ses)  # type: ignore[arg-type]
    notifier.send_email(
        "laskutus@seller.example",
        f"Automatic dispatch failed – {payload}",
        "body",
        {"X-Autodispatch-Tenant": payload},
        {},
    )
    (raw,) = ses.raw
    assert_no_injected_header(raw)
    assert header_names(raw) == sorted(
        [
            "from",
            "to",
            "subject",
            "x-autodispatch-tenant",
            "mime-version",
            "content-type",
            "content-transfer-encoding",
        ]
    )
    assert shown(raw, "Subject") == f"Automatic dispatch failed – {payload}"


def test_r25_a_header_the_message_was_not_given_is_refused():
    # set_raw bypasses every check, like the refolding bug did: the last guard must still see it.
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = SENDER
    message.set_raw("Subject", "x\r\nBcc: evil@evil.example")
    message.set_content("body")
    with pytest.raises(UnsafeText):
        message_bytes(message)


def test_r21_a_notification_address_the_header_parser_refuses_is_a_clear_rejection():
    # Import refuses such a notify_email; a stored one still ends as a rejection, not a crash.
    ses = RecordingSes()
    notifier = SesSnsNotifier(SENDER, sesv2_client=ses)  # type: ignore[arg-type]
    with pytest.raises(UnsafeText):
        notifier.send_email(f"{PAYLOAD}@x.example", "subject", "body", {}, {})
    assert ses.raw == []


def test_r21_notification_email_has_a_plain_text_and_an_html_part():
    ses = RecordingSes()
    notifier = SesSnsNotifier(SENDER, sesv2_client=ses)  # type: ignore[arg-type]
    notifier.send_email("laskutus@seller.example", "subject", "plain body", {}, {}, html="<p>html body</p>")
    (raw,) = ses.raw
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().strip() == "plain body"
    assert html.get_content().strip() == "<p>html body</p>"
