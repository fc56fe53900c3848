"""R14: the invoice email (MIME), header safety and how SES errors are classified (R12)."""

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from io import BytesIO
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from pypdf import PdfReader

from autodispatch.channels.mail import render_factoring_email, render_invoice_email
from autodispatch.channels.pdf import render_invoice_pdf
from autodispatch.errors import AccountFault, PermanentRejection, TransientError
from autodispatch.i18n import render
from autodispatch.logic.dispatch import RESERVE_SECONDS
from autodispatch.mime import UnsafeText
from autodispatch.models.scenario import Factoring
from autodispatch.ses import OutgoingEmail, SesEmailSender, new_sesv2_client

NOW = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
SENDER = "laskut@autodispatch.example"


def rendered(invoice: Any, tenant: Any, message_id: str = "INV-0123") -> OutgoingEmail:
    pdf = render_invoice_pdf(invoice, tenant)
    return render_invoice_email(invoice, tenant, pdf, sender_email=SENDER, message_id=message_id, now=NOW)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def attachment(message: EmailMessage) -> tuple[str, bytes]:
    part = next(message.iter_attachments())
    payload = part.get_content()
    assert isinstance(payload, bytes)
    return str(part.get_filename()), payload


def test_r4_email_parses_with_a_readable_pdf_attached(build: Any) -> None:
    outgoing = rendered(build.invoice(), build.tenant())
    message = parse(outgoing.raw)

    filename, pdf = attachment(message)
    assert filename == "lasku-1001.pdf"
    assert "Laskun numero 1001" in PdfReader(BytesIO(pdf)).pages[0].extract_text()
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert "liitteenä on lasku 1001 yritykseltä Kahvila Aurinko Oy." in plain.get_content()
    assert "56,48 EUR" in html.get_content()
    assert outgoing.raw.isascii()  # 7-bit throughout: quoted-printable text, base64 PDF


def test_r4_email_headers_name_the_tenant_and_identify_the_delivery(build: Any) -> None:
    message = parse(rendered(build.invoice(), build.tenant()).raw)

    assert message["From"].addresses[0].display_name == "Kahvila Aurinko Oy"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["Reply-To"].addresses[0].addr_spec == "laskutus@seller.example"
    assert message["To"].addresses[0].addr_spec == "ostolaskut@rakennus.example"
    assert message["X-Autodispatch-Tenant"] == "seller"
    assert message["X-Autodispatch-Invoice"] == "inv-1"
    assert message["X-Autodispatch-Kind"] == "INVOICE"
    assert message["Message-ID"] == "<INV-0123@autodispatch.example>"
    assert message["Subject"] == "Lasku 1001 – Kahvila Aurinko Oy"


def test_r4_email_without_notify_address_has_no_reply_to(build: Any) -> None:
    tenant = build.tenant(settings={"notify_email": None, "notify_phone": "+358401234567"})

    assert "Reply-To" not in parse(rendered(build.invoice(), tenant).raw)


def test_r4_email_speaks_the_customers_language(build: Any) -> None:
    invoice = build.invoice(customer=build.business_customer(language="sv"))

    message = parse(rendered(invoice, build.tenant()).raw)

    assert message["Subject"] == "Faktura 1001 – Kahvila Aurinko Oy"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "Förfallodag: 23.3.2026" in plain.get_content()
    assert attachment(message)[0] == "faktura-1001.pdf"


def test_r4_unicode_names_are_encoded_not_mangled(build: Any) -> None:
    name = 'Žluťoučký "Čáp" <Ñandú> ☕'
    invoice = build.invoice(customer=build.business_customer(name=name))

    message = parse(rendered(invoice, build.tenant(name="Kahvila ☕ Oy")).raw)

    assert message["To"].addresses[0].display_name == name
    assert message["From"].addresses[0].display_name == "Kahvila ☕ Oy"


@pytest.mark.parametrize(
    "field",
    [
        {"name": "Rakennus Oy\r\nBcc: victim@example.com"},
        {"name": "Rakennus Oy\nX-Evil: 1"},
        {"email": "ostolaskut@rakennus.example\r\nBcc: victim@example.com"},
    ],
)
def test_r25_header_injection_is_refused(build: Any, field: dict[str, str]) -> None:
    invoice = build.invoice()
    # Import rejects these; the renderer refuses them even if they reach a run.
    broken = invoice.model_copy(update={"customer": invoice.customer.model_copy(update=field)})

    with pytest.raises(UnsafeText, match="line break"):
        rendered(broken, build.tenant())


def test_r17_factoring_email_carries_the_assignment_details(build: Any) -> None:
    agreement = Factoring.model_validate(
        {"financier_name": "Rahoitus Oy", "agreement_id": "FA-2291", "email": "factoring@rahoitus.example"}
    )
    invoice, tenant = build.invoice(factoring=True), build.tenant()
    pdf = render_invoice_pdf(invoice, tenant)

    outgoing = render_factoring_email(
        invoice, tenant, agreement, pdf, sender_email=SENDER, message_id="FAC-1", now=NOW
    )
    message = parse(outgoing.raw)

    assert outgoing.recipients == ("factoring@rahoitus.example",)
    assert message["X-Autodispatch-Kind"] == "FACTORING"
    assert "FA-2291" in message["Subject"]
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "siirretty teille factoring-sopimuksen FA-2291 mukaisesti" in plain.get_content()
    assert "Laskun numero 1001" in PdfReader(BytesIO(attachment(message)[1])).pages[0].extract_text()


class FakeSes:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.requests: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return {"MessageId": "ses-1"}


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "SendEmail"
    )


OUTGOING = OutgoingEmail(raw=b"Subject: x\r\n\r\nx", sender=SENDER, recipients=("a@example.com",))


def test_r4_ses_send_uses_raw_content_and_the_configuration_set() -> None:
    ses = FakeSes()

    assert SesEmailSender(lambda: ses, "autodispatch").send(OUTGOING) == "ses-1"  # type: ignore[arg-type,return-value]
    assert ses.requests == [
        {
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": ["a@example.com"]},
            "Content": {"Raw": {"Data": OUTGOING.raw}},
            "ConfigurationSetName": "autodispatch",
        }
    ]


def test_r12_ses_message_rejected_is_permanent() -> None:
    sender = SesEmailSender(lambda: FakeSes(client_error("MessageRejected", 400)))  # type: ignore[arg-type,return-value]

    with pytest.raises(PermanentRejection, match="MessageRejected") as raised:
        sender.send(OUTGOING)
    assert not isinstance(raised.value, AccountFault)


@pytest.mark.parametrize(
    ("code", "en", "sv", "fi"),
    [
        (
            "AccountSuspendedException",
            "sending is suspended for the sender's account",
            "utskicket är avstängt för avsändarens konto",
            "lähettäjän tilin lähetykset on jäädytetty",
        ),
        (
            "SendingPausedException",
            "sending is paused for the sender's account",
            "utskicket är pausat för avsändarens konto",
            "lähettäjän tilin lähetykset on keskeytetty",
        ),
        (
            "MailFromDomainNotVerifiedException",
            "the sender's mail-from domain is not verified",
            "avsändarens MAIL FROM-domän är inte verifierad",
            "lähettäjän MAIL FROM -verkkotunnusta ei ole vahvistettu",
        ),
    ],
)
def test_issue21_an_ses_account_fault_is_its_own_kind_named_in_the_readers_language(
    code: str, en: str, sv: str, fi: str
) -> None:
    """Not the customer's email being unusable (the chain would go on to paper) nor a throttle (a
    night of retries): the account cannot send, said as its cause, never as an exception's name."""
    sender = SesEmailSender(lambda: FakeSes(client_error(code, 400)))  # type: ignore[arg-type,return-value]

    with pytest.raises(AccountFault) as raised:
        sender.send(OUTGOING)
    assert raised.value.text is not None
    assert [render(raised.value.text, language) for language in ("en", "sv", "fi")] == [en, sv, fi]
    assert code not in render(raised.value.text, "en")


def test_r24_the_ses_client_answers_inside_the_batchs_reserve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hung SendEmail must not outlast the 30 s a batch keeps before its timeout (botocore's
    default read timeout is 60 s); and the SDK never retries a send (R23)."""
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(name, value)  # no credential lookup over the network
    client = new_sesv2_client()
    config = client.meta.config
    assert config.connect_timeout + config.read_timeout < RESERVE_SECONDS
    assert config.retries["total_max_attempts"] == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 429),
        ("LimitExceededException", 400),
        ("Throttling", 400),
        ("ThrottlingException", 400),
        ("Throttling", 500),
    ],
)
def test_r23_ses_throttling_is_transient_and_not_in_doubt(code: str, status: int) -> None:
    """SES refused before accepting the message: the claim can be released and the send retried."""
    sender = SesEmailSender(lambda: FakeSes(client_error(code, status)))  # type: ignore[arg-type,return-value]

    with pytest.raises(TransientError) as raised:
        sender.send(OUTGOING)
    assert raised.value.in_doubt is False


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
        ("SomethingNew", 503),
        ("SomethingNew", 0),
        ("", 0),
        ("InternalFailure", 0),
    ],
)
def test_r23_ses_server_error_or_unknown_outcome_is_in_doubt(code: str, status: int) -> None:
    """A 5xx or unknown outcome of SendEmail: SES may have accepted the message, so it is never resent."""
    sender = SesEmailSender(lambda: FakeSes(client_error(code, status)))  # type: ignore[arg-type,return-value]

    with pytest.raises(TransientError) as raised:
        sender.send(OUTGOING)
    assert raised.value.in_doubt is True


def test_r23_ses_server_error_through_the_real_client_is_in_doubt() -> None:
    """The same through a botocore client stubbed to answer SendEmail with HTTP 500."""
    client = boto3.client("sesv2", region_name="eu-north-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code="InternalFailure", http_status_code=500)
        stub.add_client_error(
            "send_email", service_error_code="TooManyRequestsException", http_status_code=429
        )
        with pytest.raises(TransientError) as server_error:
            SesEmailSender(lambda: client).send(OUTGOING)
        with pytest.raises(TransientError) as throttled:
            SesEmailSender(lambda: client).send(OUTGOING)

    assert server_error.value.in_doubt is True
    assert throttled.value.in_doubt is False


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://email.eu-north-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://email.eu-north-1.amazonaws.com"),
    ],
)
def test_r23_ses_connection_failure_before_sending_is_not_in_doubt(error: Exception) -> None:
    with pytest.raises(TransientError) as raised:
        SesEmailSender(lambda: FakeSes(error)).send(OUTGOING)  # type: ignore[arg-type,return-value]
    assert raised.value.in_doubt is False


def test_r23_ses_timeout_after_sending_is_in_doubt_and_unreachable_is_not() -> None:
    timeout = ReadTimeoutError(endpoint_url="https://email.eu-north-1.amazonaws.com")
    unreachable = EndpointConnectionError(endpoint_url="https://email.eu-north-1.amazonaws.com")

    with pytest.raises(TransientError) as after_sending:
        SesEmailSender(lambda: FakeSes(timeout)).send(OUTGOING)  # type: ignore[arg-type,return-value]
    with pytest.raises(TransientError) as before_sending:
        SesEmailSender(lambda: FakeSes(unreachable)).send(OUTGOING)  # type: ignore[arg-type,return-value]

    assert after_sending.value.in_doubt is True
    assert before_sending.value.in_doubt is False
