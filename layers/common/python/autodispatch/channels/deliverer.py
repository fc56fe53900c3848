"""The Deliverer of `channels/port.py`: renders the channel's document, hands it over, archives it.

| channel  | document                     | hand-over                      | archived as |
|----------|------------------------------|--------------------------------|-------------|
| EINVOICE | Finvoice 3.0 XML             | e-invoice Transport            | .xml        |
| EMAIL    | MIME message with the PDF    | EmailSender (SES v2)           | .eml        |
| PRINT    | PDF letter (address window)  | print Transport                | .pdf        |

A document is archived after the hand-over succeeded, so the archive holds only what was sent;
the copies of a batch (or a manual send) are written together by `flush_archive`, one S3 object
for the batch (an S3 outbox object is itself the copy). A copy that cannot be written is logged
and kept for the next flush; it never undoes or repeats a delivery.
Whether a channel can be used for an invoice (R13-R15) is the rules' decision, made before
`deliver` is called; the renderers still refuse a document they cannot build, so nothing
incomplete is ever handed over.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from autodispatch.channels.archive import Archive, S3BatchArchive
from autodispatch.channels.finvoice import factoring_route as finvoice_factoring_route
from autodispatch.channels.finvoice import render_finvoice
from autodispatch.channels.ids import message_id
from autodispatch.channels.mail import render_factoring_email, render_invoice_email
from autodispatch.channels.pdf import render_invoice_pdf, render_print_letter
from autodispatch.channels.port import DeliveryReceipt
from autodispatch.channels.transports import HttpTransport, S3OutboxTransport, Transport, secret_api_key
from autodispatch.config import RuntimeConfig
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.dispatch import FactoringRoute
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.observability import logger
from autodispatch.ses import EmailSender, SesEmailSender, new_sesv2_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client


_Document = TypeVar("_Document")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ChannelDeliverer:
    """Implements `autodispatch.channels.port.Deliverer`."""

    def __init__(
        self,
        *,
        einvoice: Transport,
        print_service: Transport,
        email: EmailSender,
        archive: Archive,
        sender_email: str,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._einvoice = einvoice
        self._print = print_service
        self._email = email
        self._archive = archive
        self._sender_email = sender_email
        self._clock = clock

    def is_idempotent(self, channel: Channel) -> bool:
        """EINVOICE and PRINT carry a deterministic message id (Idempotency-Key, outbox key);
        an email sent twice arrives twice."""
        return channel is not Channel.EMAIL

    def deliver(
        self, invoice: Invoice, tenant: Tenant, channel: Channel, kind: DeliveryKind
    ) -> DeliveryReceipt:
        if kind is DeliveryKind.FACTORING:
            raise ValueError("factoring messages go through deliver_factoring")
        if kind is DeliveryKind.DIRECT_PAYMENT_NOTICE and channel is Channel.EMAIL:
            raise PermanentRejection("a direct-payment pre-notification goes by e-invoice or print (R18)")
        identifier = message_id(invoice, channel, kind)
        match channel:
            case Channel.EINVOICE:
                xml = _rendered(
                    "e-invoice", lambda: render_finvoice(invoice, tenant, message_id=identifier, kind=kind)
                )
                return self._hand_over(self._einvoice, invoice, channel, kind, identifier, xml, "xml")
            case Channel.PRINT:
                letter = _rendered("print letter", lambda: render_print_letter(invoice, tenant, kind))
                return self._hand_over(self._print, invoice, channel, kind, identifier, letter, "pdf")
            case Channel.EMAIL:
                email = _rendered(
                    "email",
                    lambda: render_invoice_email(
                        invoice,
                        tenant,
                        render_invoice_pdf(invoice, tenant, kind),
                        sender_email=self._sender_email,
                        message_id=identifier,
                        now=self._clock(),
                    ),
                )
                self._email.send(email)
                return self._archived(invoice, channel, kind, identifier, email.raw, "eml")

    def deliver_factoring(self, invoice: Invoice, tenant: Tenant, route: FactoringRoute) -> DeliveryReceipt:
        """R17: a Finvoice copy with FactoringAgreementDetails to the financier's e-invoice
        address, or an email with the PDF and the assignment details."""
        kind = DeliveryKind.FACTORING
        agreement = route.agreement
        identifier = message_id(invoice, route.channel, kind)
        if route.channel is Channel.EINVOICE:
            xml = _rendered(
                "factoring e-invoice",
                lambda: render_finvoice(
                    invoice,
                    tenant,
                    message_id=identifier,
                    kind=kind,
                    route=finvoice_factoring_route(agreement),
                    factoring=agreement,
                ),
            )
            return self._hand_over(self._einvoice, invoice, route.channel, kind, identifier, xml, "xml")
        if route.channel is Channel.EMAIL:
            email = _rendered(
                "factoring email",
                lambda: render_factoring_email(
                    invoice,
                    tenant,
                    agreement,
                    render_invoice_pdf(invoice, tenant),
                    sender_email=self._sender_email,
                    message_id=identifier,
                    now=self._clock(),
                ),
            )
            self._email.send(email)
            return self._archived(invoice, route.channel, kind, identifier, email.raw, "eml")
        raise PermanentRejection(f"a factoring message cannot go by {route.channel.value}")

    def _hand_over(
        self,
        transport: Transport,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        identifier: str,
        content: bytes,
        extension: str,
    ) -> DeliveryReceipt:
        """Submit to the transport, then archive what was submitted."""
        metadata = {
            "tenant-id": invoice.tenant_id,
            "invoice-id": invoice.invoice_id,
            "kind": kind.value,
            "channel": channel.value,
        }
        content_type = "application/xml" if extension == "xml" else "application/pdf"
        transport.submit(identifier, content, content_type, metadata)
        if isinstance(transport, S3OutboxTransport):
            # The outbox object, in the same versioned bucket, is the archived copy: one S3 write
            # per document instead of two (cost; a collected file's versions stay).
            return _delivered(channel, kind, identifier, transport.key(identifier, invoice.tenant_id))
        return self._archived(invoice, channel, kind, identifier, content, extension)

    def _archived(
        self,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        identifier: str,
        content: bytes,
        extension: str,
    ) -> DeliveryReceipt:
        key = self._archive.put(invoice, channel, kind, identifier, content, extension)
        return _delivered(channel, kind, identifier, key)

    def flush_archive(self) -> None:
        """The copies of what was delivered since the last flush, as one object. A failure is logged
        and the copies wait for the next flush: it never undoes or repeats a delivery."""
        try:
            self._archive.flush()
        except TransientError:
            logger.error("archive could not be written; its copies wait for the next flush")


def _delivered(channel: Channel, kind: DeliveryKind, identifier: str, archive_key: str) -> DeliveryReceipt:
    logger.info("delivered", extra={"channel": channel.value, "kind": kind.value, "message_id": identifier})
    return DeliveryReceipt(channel=channel, kind=kind, message_id=identifier, archive_key=archive_key)


def _rendered(document: str, render: Callable[[], _Document]) -> _Document:
    """A document that cannot be built from the invoice (any text the renderer cannot carry)
    makes the channel refuse the invoice for good: nothing left the process, so the chain goes
    on (R12, R25) and the invoice is never reported in doubt."""
    try:
        return render()
    except PermanentRejection:
        raise
    except Exception as error:
        # The type only: the error's text may quote the invoice's personal data.
        logger.warning("document could not be rendered", extra={"error_type": type(error).__name__})
        raise PermanentRejection(
            f"the {document} could not be built from the invoice data ({type(error).__name__})"
        ) from None


def build_deliverer(
    config: RuntimeConfig,
    *,
    s3_client: "S3Client | None" = None,
    sesv2_client: "SESV2Client | None" = None,
    secrets_client: "SecretsManagerClient | None" = None,
) -> ChannelDeliverer:
    """The production deliverer: S3 outbox or HTTP transports as the configuration says, SES v2
    for email, the S3 archive. boto3 clients are created on first use unless given."""

    @cache
    def s3() -> "S3Client":
        return s3_client or _new_s3()

    @cache
    def sesv2() -> "SESV2Client":
        return sesv2_client or new_sesv2_client()

    @cache
    def secrets() -> "SecretsManagerClient":
        return secrets_client or _new_secrets()

    def transport(
        mode: str, endpoint: str | None, secret: str | None, outbox: Transport, name: str
    ) -> Transport:
        if mode != "http":
            return outbox
        if not endpoint:
            raise ValueError(f"the {name} transport 'http' needs an endpoint in the configuration")
        return HttpTransport(endpoint, secret_api_key(secrets, secret) if secret else None, name=name)

    bucket = config.bucket_name
    return ChannelDeliverer(
        einvoice=transport(
            config.einvoice_transport,
            config.einvoice_endpoint,
            config.einvoice_secret_name,
            S3OutboxTransport(s3, bucket, "einvoice", "xml"),
            "e-invoice operator",
        ),
        print_service=transport(
            config.print_transport,
            config.print_endpoint,
            config.print_secret_name,
            S3OutboxTransport(s3, bucket, "print", "pdf"),
            "print service",
        ),
        email=SesEmailSender(sesv2, config.ses_configuration_set),
        archive=S3BatchArchive(s3, bucket),
        sender_email=config.sender_email,
    )


def _new_s3() -> "S3Client":
    import boto3  # noqa: PLC0415 - clients only when first needed, never at import

    return boto3.client("s3")


def _new_secrets() -> "SecretsManagerClient":
    import boto3  # noqa: PLC0415

    return boto3.client("secretsmanager")
