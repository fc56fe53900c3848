"""The renderers of the EMAIL and PRINT routes (`models/routes.py`): both carry the invoice's PDF."""

from autodispatch.channels.mail import render_factoring_email, render_invoice_email
from autodispatch.channels.pdf import render_invoice_pdf, render_print_letter
from autodispatch.channels.registry import RenderRequest
from autodispatch.errors import PermanentRejection
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.models.text import Text, by_channel
from autodispatch.ses import OutgoingEmail


def render_email_document(invoice: Invoice, tenant: Tenant, request: RenderRequest) -> OutgoingEmail:
    """The invoice's email with its PDF, or the financier's copy with the assignment details (R17)."""
    if request.kind is DeliveryKind.FACTORING:
        return render_factoring_email(
            invoice,
            tenant,
            request.agreement(),
            render_invoice_pdf(invoice, tenant),
            sender_email=request.sender_email,
            message_id=request.message_id,
            now=request.now,
        )
    return render_invoice_email(
        invoice,
        tenant,
        render_invoice_pdf(invoice, tenant, request.kind),
        sender_email=request.sender_email,
        message_id=request.message_id,
        now=request.now,
    )


def render_letter_document(invoice: Invoice, tenant: Tenant, request: RenderRequest) -> bytes:
    """R15: the PDF letter for a window envelope."""
    if request.kind is DeliveryKind.FACTORING:
        raise PermanentRejection.said(Text.of("reason.factoring_channel", by=by_channel(Channel.PRINT)))
    return render_print_letter(invoice, tenant, request.kind)
