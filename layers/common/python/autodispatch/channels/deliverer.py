"""The Deliverer of `channels/port.py`: renders the route's document, checks it against its network's
rules, hands it over, archives it.

Which route carries a document, its renderer, validator, transport and file extension are the
route table's (`models/routes.py`): Finvoice 3.0 or Peppol BIS Billing 3.0 XML for EINVOICE (by
the receiver's e-invoice address), a MIME message with the PDF for EMAIL (SES v2), a PDF letter
for PRINT. An e-invoice that breaks its network's rules is refused before it leaves (`RulesBroken`,
the chain goes on, R12).

A document is archived after the hand-over succeeded, so the archive holds only what was sent;
the copies of a batch (or a manual send) are written together by `flush_archive`, one S3 object
for the batch (an S3 outbox object is itself the copy). A copy that cannot be written is logged
and kept for the next flush; it never undoes or repeats a delivery. A copy a crash lost is rendered
again by `recover_copies` from the recorded instant and message id: the same bytes, labelled.
Whether a channel can be used for an invoice (R13-R15) is the rules' decision, made before
`deliver` is called; the renderers still refuse a document they cannot build, so nothing
incomplete is ever handed over.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from autodispatch.channels.archive import Archive, S3BatchArchive, archive_key
from autodispatch.channels.ids import message_id
from autodispatch.channels.port import IMMEDIATE, Delivered, DeliveryReceipt, Occasion
from autodispatch.channels.registry import RenderRequest, renderer, validator
from autodispatch.channels.transports import (
    HttpTransport,
    OutboxObjects,
    S3OutboxTransport,
    Transport,
    secret_api_key,
)
from autodispatch.clients import new_client
from autodispatch.config import RuntimeConfig
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.dispatch import FactoringRoute
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.routes import CONFIGURED_TRANSPORTS, ROUTES, Route, route_for
from autodispatch.models.scenario import Factoring, Invoice, Tenant
from autodispatch.models.text import Text, by_channel
from autodispatch.observability import logger
from autodispatch.ses import EmailSender, OutgoingEmail, SesEmailSender, new_sesv2_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ChannelDeliverer:
    """Implements `autodispatch.channels.port.Deliverer`. `transports` maps each route's
    `transport` name (`einvoice`, `peppol`, `print`) to its transport; email goes by `email`."""

    def __init__(
        self,
        *,
        transports: Mapping[str, Transport],
        email: EmailSender,
        archive: Archive,
        sender_email: str,
        outbox: Callable[[str], bool],
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._transports = dict(transports)
        self._outbox = outbox
        self._email = email
        self._archive = archive
        self._sender_email = sender_email
        self._clock = clock

    def deliver(
        self,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        kind: DeliveryKind,
        occasion: Occasion = IMMEDIATE,
    ) -> DeliveryReceipt:
        if kind is DeliveryKind.FACTORING:
            raise ValueError("factoring messages go through deliver_factoring")
        if kind is DeliveryKind.DIRECT_PAYMENT_NOTICE and channel is Channel.EMAIL:
            raise PermanentRejection.said(Text.of("reason.direct_payment_channel"))
        return self._deliver(invoice, tenant, channel, kind, None, occasion)

    def deliver_factoring(
        self, invoice: Invoice, tenant: Tenant, route: FactoringRoute, occasion: Occasion = IMMEDIATE
    ) -> DeliveryReceipt:
        """R17: the copy of the invoice for the financier with the assignment details, by e-invoice
        to the financier's address or by email."""
        if route.channel is Channel.PRINT:
            raise PermanentRejection.said(Text.of("reason.factoring_channel", by=by_channel(route.channel)))
        return self._deliver(
            invoice, tenant, route.channel, DeliveryKind.FACTORING, route.agreement, occasion
        )

    def _deliver(
        self,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        kind: DeliveryKind,
        factoring: Factoring | None,
        occasion: Occasion,
    ) -> DeliveryReceipt:
        route = route_for(channel, invoice, kind, factoring)
        request = self._request(invoice, channel, kind, factoring, occasion.at or self._clock())
        try:
            document = _rendered(route, kind, lambda: renderer(route)(invoice, tenant, request))
            if isinstance(document, OutgoingEmail):
                self._email.send(document)
                return self._archived(invoice, route, kind, request.message_id, document.raw, occasion.scope)
            check = validator(route)
            if check is not None:
                check(document)
        except BaseException:
            self._cancel(route, occasion)
            raise
        return self._hand_over(invoice, route, kind, request.message_id, document, occasion)

    def transmission_for(
        self, invoice: Invoice, channel: Channel, kind: DeliveryKind, occasion: Occasion
    ) -> str | None:
        """A batch's e-invoices and letters on S3 outbox transports are staged, one object per batch
        attempt and transport; a factoring copy (R17) follows its delivered invoice at once."""
        if kind is DeliveryKind.FACTORING or not occasion.attempt or channel is Channel.EMAIL:
            return None
        transport = self._transports.get(route_for(channel, invoice, kind).transport)
        return transport.reserve(occasion.attempt) if isinstance(transport, S3OutboxTransport) else None

    def transmit(self, attempt: str) -> dict[str, bool]:
        written: dict[str, bool] = {}
        for transport in self._transports.values():
            if isinstance(transport, S3OutboxTransport):
                written.update(transport.transmit(attempt))
        return written

    def abandon(self, attempt: str) -> None:
        for transport in self._transports.values():
            if isinstance(transport, S3OutboxTransport):
                transport.abandon(attempt)

    def transmitted(self, key: str) -> bool:
        return self._outbox(key)

    def _cancel(self, route: Route, occasion: Occasion) -> None:
        transport = self._transports.get(route.transport)
        if occasion.transmission is not None and isinstance(transport, S3OutboxTransport):
            transport.cancel(occasion.transmission)

    def _request(
        self,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        factoring: Factoring | None,
        at: datetime,
    ) -> RenderRequest:
        return RenderRequest(
            message_id=message_id(invoice, channel, kind),
            kind=kind,
            sender_email=self._sender_email,
            now=at,
            factoring=factoring,
        )

    def recover_copies(self, scope: str, deliveries: Sequence[Delivered]) -> int:
        """Renders again what the archive of `scope` lacks: the renderers are deterministic for the
        same invoice, message id and instant, so the copy is the document that was sent (an outbox
        object was written by the send itself and needs nothing)."""
        held: frozenset[str] | None = None
        recovered = 0
        for done in deliveries:
            factoring = done.factoring.agreement if done.factoring is not None else None
            route = route_for(done.channel, done.invoice, done.kind, factoring)
            if isinstance(self._transports.get(route.transport), S3OutboxTransport):
                continue
            request = self._request(done.invoice, done.channel, done.kind, factoring, done.at)
            member = archive_key(done.invoice, route.channel, done.kind, request.message_id, route.extension)
            held = self._archive.members(scope) if held is None else held
            if member in held:
                continue
            document = renderer(route)(done.invoice, done.tenant, request)
            content = document.raw if isinstance(document, OutgoingEmail) else document
            self._archive.put(
                done.invoice,
                route.channel,
                done.kind,
                request.message_id,
                content,
                route.extension,
                scope=scope,
                re_rendered=True,
            )
            recovered += 1
        if recovered:
            logger.warning("archived copies lost to a crash rendered again", extra={"copies": recovered})
        return recovered

    def _hand_over(
        self,
        invoice: Invoice,
        route: Route,
        kind: DeliveryKind,
        identifier: str,
        content: bytes,
        occasion: Occasion,
    ) -> DeliveryReceipt:
        """Submit to the route's transport (or stage it for its outbox object), then archive what
        was submitted."""
        metadata = {
            "tenant-id": invoice.tenant_id,
            "invoice-id": invoice.invoice_id,
            "kind": kind.value,
            "channel": route.channel.value,
        }
        transport = self._transports[route.transport]
        if occasion.transmission is not None and isinstance(transport, S3OutboxTransport):
            transport.stage(occasion.transmission, identifier, content, metadata)
            # Not delivered yet: the batch writes the object, and the document is in it.
            receipt = DeliveryReceipt(
                channel=route.channel,
                kind=kind,
                message_id=identifier,
                archive_key=f"{occasion.transmission}#{identifier}",
                transmission=occasion.transmission,
            )
            logger.info("staged", extra={"channel": route.channel.value, "message_id": identifier})
            return receipt
        transport.submit(identifier, content, route.content_type, metadata)
        if isinstance(transport, S3OutboxTransport):
            # The outbox object, in the same versioned bucket, is the archived copy: one S3 write
            # per document instead of two (cost; a collected file's versions stay).
            key = transport.key(identifier, invoice.tenant_id)
            return _delivered(route.channel, kind, identifier, f"{key}#{identifier}")
        return self._archived(invoice, route, kind, identifier, content, occasion.scope)

    def _archived(
        self,
        invoice: Invoice,
        route: Route,
        kind: DeliveryKind,
        identifier: str,
        content: bytes,
        scope: str,
    ) -> DeliveryReceipt:
        key = self._archive.put(
            invoice, route.channel, kind, identifier, content, route.extension, scope=scope
        )
        return _delivered(route.channel, kind, identifier, key)

    def flush_archive(self) -> bool:
        """The copies of what was delivered since the last flush, as one object. A failure is logged
        and the copies wait for the next flush: it never undoes or repeats a delivery."""
        try:
            self._archive.flush()
        except TransientError as error:
            logger.error(
                "archive could not be written; its copies wait for the next flush",
                extra={"error_type": type(error).__name__},
            )
            return False
        return True


def _delivered(channel: Channel, kind: DeliveryKind, identifier: str, archive_key: str) -> DeliveryReceipt:
    logger.info("delivered", extra={"channel": channel.value, "kind": kind.value, "message_id": identifier})
    return DeliveryReceipt(channel=channel, kind=kind, message_id=identifier, archive_key=archive_key)


def _rendered(
    route: Route, kind: DeliveryKind, render: Callable[[], bytes | OutgoingEmail]
) -> bytes | OutgoingEmail:
    """A document that cannot be built from the invoice (any text the renderer cannot carry)
    makes the route refuse the invoice for good: nothing left the process, so the chain goes
    on (R12, R25) and the invoice is never reported in doubt."""
    try:
        return render()
    except PermanentRejection:
        raise
    except Exception as error:
        # The type only: the error's text may quote the invoice's personal data.
        logger.warning("document could not be rendered", extra={"error_type": type(error).__name__})
        document = Text.of(f"document.{kind}", by=by_channel(route.channel))
        said = Text.of("reason.document_not_built", document=document, error=type(error).__name__)
        raise PermanentRejection.said(said) from None


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

    def transport(name: str) -> Transport:
        served = next(route for route in ROUTES if route.transport == name)
        mode, endpoint, secret = config.transport(name)
        if mode != "http":
            return S3OutboxTransport(s3, config.bucket_name, name)
        if not endpoint:
            raise ValueError(f"the {name} transport 'http' needs an endpoint in the configuration")
        api_key = secret_api_key(secrets, secret) if secret else None
        return HttpTransport(endpoint, api_key, name=Text.of(f"service.{served.name}"))

    for route in ROUTES:
        # Each route's modules (the PDF stack among them) load with the deliverer, in the Lambda's
        # init, rather than within the first invoice's send; the validation rules compile on first use.
        renderer(route)
        validator(route)
    return ChannelDeliverer(
        transports={name: transport(name) for name in CONFIGURED_TRANSPORTS},
        email=SesEmailSender(sesv2, config.ses_configuration_set),
        archive=S3BatchArchive(s3, config.bucket_name),
        sender_email=config.sender_email,
        outbox=OutboxObjects(s3, config.bucket_name).exists,
    )


def _new_s3() -> "S3Client":
    import boto3  # noqa: PLC0415 - clients only when first needed, never at import

    return new_client(lambda: boto3.client("s3"))


def _new_secrets() -> "SecretsManagerClient":
    import boto3  # noqa: PLC0415

    return new_client(lambda: boto3.client("secretsmanager"))
