"""The EMAIL channel: a MIME message with the invoice PDF (sent by `autodispatch.ses`).

Headers are set through `email.headerregistry.Address` and checked for line breaks first, so
header injection is impossible. `X-Autodispatch-Tenant`, `-Invoice` and `-Kind` let deliveries
be read back from what SES received.
"""

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email
from stdnum import iban as iban_format

from autodispatch.channels.barcode import virtual_barcode
from autodispatch.channels.labels import (
    display_reference,
    document_noun,
    document_title,
    format_amount,
    format_date,
    label,
)
from autodispatch.errors import PermanentRejection
from autodispatch.mime import UnsafeText, check_header_text, header_text, message_bytes
from autodispatch.models.delivery_events import email_tags
from autodispatch.models.enums import DeliveryKind, Language
from autodispatch.models.scenario import Factoring, Invoice, Tenant
from autodispatch.models.text import Text
from autodispatch.ses import OutgoingEmail

_UNSAFE_FILENAME = re.compile(r"[^\w.-]+")


def _ascii_address(value: str, what: Text) -> str:
    """The address as plain ASCII (an internationalised domain in IDNA form)."""
    check_header_text(value, what)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise UnsafeText.said(Text.of("unsafe.email_address", what=what, cause=str(error))) from None
    if result.ascii_email is None:
        raise UnsafeText.said(Text.of("unsafe.email_smtputf8", what=what))
    return str(result.ascii_email)


def _address(display_name: str, addr_spec: str, what: Text) -> Address:
    name = header_text(display_name, Text.of("header.name_in", what=what))
    try:
        return Address(display_name=name, addr_spec=_ascii_address(addr_spec, what))
    except (ValueError, HeaderParseError) as error:
        raise UnsafeText.said(Text.of("unsafe.address_header", what=what, cause=str(error))) from None


@dataclass(frozen=True)
class _Content:
    subject: str
    paragraphs: list[str]
    facts: list[tuple[str, str]]
    closing: list[str]


def _compose(
    *,
    sender: Address,
    to: Address,
    reply_to: Address | None,
    content: _Content,
    headers: dict[str, str],
    tags: dict[str, str],
    message_id: str,
    now: datetime,
    pdf: bytes,
    filename: str,
) -> OutgoingEmail:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = header_text(content.subject, Text.of("header.subject"))
    message["Date"] = format_datetime(now)
    domain = sender.domain or "autodispatch.invalid"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    for name, value in headers.items():
        message[name] = header_text(value, Text.of("header.named", name=name))

    blocks = [
        *content.paragraphs,
        "\n".join(f"{key}: {value}" for key, value in content.facts),
        "\n".join(content.closing),
    ]
    # Quoted-printable keeps the whole message 7-bit, whatever the language.
    message.set_content("\n\n".join(blocks) + "\n", cte="quoted-printable")
    facts_html = "".join(
        f"<tr><td>{html.escape(key)}</td><td><b>{html.escape(value)}</b></td></tr>"
        for key, value in content.facts
    )
    body_html = (
        "<!DOCTYPE html><html><body>"
        + "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in content.paragraphs)
        + f"<table>{facts_html}</table>"
        + "<p>"
        + "<br>".join(html.escape(line) for line in content.closing)
        + "</p>"
        + "</body></html>"
    )
    message.add_alternative(body_html, subtype="html", cte="quoted-printable")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    # Boundaries from the message id, not random: the same message renders to the same bytes, so a
    # copy lost to a crash is rendered again as sent (R19). "=_" never occurs in the
    # quoted-printable or base64 bodies.
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_{message_id}_{number}")
    return OutgoingEmail(
        raw=message_bytes(message), sender=sender.addr_spec, recipients=(to.addr_spec,), tags=tags
    )


def _filename(title: str, number: str) -> str:
    return _UNSAFE_FILENAME.sub("-", f"{title}-{number}".lower()).strip("-") + ".pdf"


def _payment_facts(
    invoice: Invoice, tenant: Tenant, kind: DeliveryKind, language: Language
) -> list[tuple[str, str]]:
    facts = [
        (label("number", language), invoice.number),
        (label("invoice_date", language), format_date(invoice.invoice_date, language)),
        (label("due_date", language), format_date(invoice.due_date, language)),
    ]
    total = f"{format_amount(invoice.totals.gross, language)} {invoice.currency}"
    if invoice.is_credit_note:
        return [*facts, (label("credit_total", language), total)]
    facts += [
        (label("amount_due", language), total),
        (label("iban", language), str(iban_format.format(tenant.iban))),
        (label("bic", language), tenant.bic),
        (label("reference", language), display_reference(invoice.reference)),
    ]
    if kind is not DeliveryKind.DIRECT_PAYMENT_NOTICE:
        barcode = virtual_barcode(
            tenant.iban, invoice.totals.gross, invoice.reference, invoice.due_date, invoice.currency
        )
        if barcode is not None:
            facts.append((label("barcode", language), barcode))
    return facts


def render_invoice_email(
    invoice: Invoice,
    tenant: Tenant,
    pdf: bytes,
    *,
    sender_email: str,
    message_id: str,
    now: datetime,
    kind: DeliveryKind = DeliveryKind.INVOICE,
) -> OutgoingEmail:
    """The invoice to the customer, in the customer's language, the PDF attached.

    From is the configured sender with the tenant's name; Reply-To is the tenant's notification
    address when it has one, so answers reach the company, not the service.
    """
    customer = invoice.customer
    if not customer.email:
        raise PermanentRejection.said(Text.of("reason.no_email_address"))
    language = customer.language
    noun = document_noun(invoice, kind, language)
    title = document_title(invoice, kind, language)
    paragraphs = [
        label("greeting", language),
        label("email_intro", language).format(document=noun, number=invoice.number, seller=tenant.name),
    ]
    if invoice.is_credit_note:
        paragraphs.append(label("credit_note_text", language))
    elif kind is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        paragraphs.append(label("direct_payment_text", language))
    reply_to = tenant.settings.notify_email
    return _compose(
        sender=_address(tenant.name, sender_email, Text.of("header.sender_address")),
        to=_address(customer.name, customer.email, Text.of("header.customer_email")),
        reply_to=_address(tenant.name, reply_to, Text.of("header.reply_address")) if reply_to else None,
        content=_Content(
            subject=label("email_subject", language).format(
                document=title.capitalize(), number=invoice.number, seller=tenant.name
            ),
            paragraphs=paragraphs,
            facts=_payment_facts(invoice, tenant, kind, language),
            closing=[label("email_closing", language), tenant.name],
        ),
        headers=_tracking_headers(invoice, kind),
        tags=email_tags(invoice.tenant_id, invoice.invoice_id, kind.value),
        message_id=message_id,
        now=now,
        pdf=pdf,
        filename=_filename(title, invoice.number),
    )


def render_factoring_email(
    invoice: Invoice,
    tenant: Tenant,
    agreement: Factoring,
    pdf: bytes,
    *,
    sender_email: str,
    message_id: str,
    now: datetime,
) -> OutgoingEmail:
    """R17: the financier's copy of the invoice with the assignment details (in Finnish, the
    financier's working language in this market)."""
    if agreement.email is None:
        raise PermanentRejection.said(Text.of("reason.factoring_no_email"))
    language = Language.FI
    title = document_title(invoice, DeliveryKind.INVOICE, language)
    customer = invoice.customer
    paragraphs = [
        f"{agreement.financier_name},",
        f"liitteenä kopio laskusta {invoice.number}, joka on siirretty teille "
        f"factoring-sopimuksen {agreement.agreement_id} mukaisesti.",
    ]
    facts = [
        ("Factoring-sopimus", agreement.agreement_id),
        ("Myyjä", f"{tenant.name} ({tenant.business_id})"),
        ("Ostaja", customer.name + (f" ({customer.business_id})" if customer.business_id else "")),
        *_payment_facts(invoice, tenant, DeliveryKind.INVOICE, language),
    ]
    reply_to = tenant.settings.notify_email
    return _compose(
        sender=_address(tenant.name, sender_email, Text.of("header.sender_address")),
        to=_address(agreement.financier_name, agreement.email, Text.of("header.financier_email")),
        reply_to=_address(tenant.name, reply_to, Text.of("header.reply_address")) if reply_to else None,
        content=_Content(
            subject=f"Factoring {agreement.agreement_id}: {title.capitalize()} {invoice.number}"
            f" – {tenant.name}",
            paragraphs=paragraphs,
            facts=facts,
            closing=[label("email_closing", language), tenant.name],
        ),
        headers=_tracking_headers(invoice, DeliveryKind.FACTORING),
        tags=email_tags(invoice.tenant_id, invoice.invoice_id, DeliveryKind.FACTORING.value),
        message_id=message_id,
        now=now,
        pdf=pdf,
        filename=_filename(title, invoice.number),
    )


def _tracking_headers(invoice: Invoice, kind: DeliveryKind) -> dict[str, str]:
    return {
        "X-Autodispatch-Tenant": invoice.tenant_id,
        "X-Autodispatch-Invoice": invoice.invoice_id,
        "X-Autodispatch-Kind": kind.value,
    }
