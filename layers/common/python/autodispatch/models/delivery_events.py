"""SES email-sending events as EventBridge delivers them (R26), and the message tags that tie an
email to what it carried.

Only the fields the automation reads are modelled; SES adds fields over time and they are ignored.
"""

import base64
import binascii
from enum import StrEnum

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from autodispatch.models.scenario import InvoiceKey


class _SesModel(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class SesEventType(StrEnum):
    DELIVERY = "Delivery"
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"
    REJECT = "Reject"
    DELIVERY_DELAY = "DeliveryDelay"
    SEND = "Send"
    OPEN = "Open"
    CLICK = "Click"
    RENDERING_FAILURE = "Rendering Failure"
    SUBSCRIPTION = "Subscription"


class SesMail(_SesModel):
    message_id: str = Field(alias="messageId")
    timestamp: AwareDatetime
    destination: tuple[str, ...] = ()
    tags: dict[str, tuple[str, ...]] = {}


class SesRecipientStatus(_SesModel):
    email_address: str = Field(alias="emailAddress")
    status: str | None = None
    diagnostic_code: str | None = Field(default=None, alias="diagnosticCode")


class SesBounce(_SesModel):
    bounce_type: str = Field(alias="bounceType")  # Permanent, Transient or Undetermined
    bounce_sub_type: str = Field(default="", alias="bounceSubType")
    bounced_recipients: tuple[SesRecipientStatus, ...] = Field(default=(), alias="bouncedRecipients")
    timestamp: AwareDatetime
    feedback_id: str = Field(default="", alias="feedbackId")


class SesComplaint(_SesModel):
    timestamp: AwareDatetime
    complaint_feedback_type: str | None = Field(default=None, alias="complaintFeedbackType")
    feedback_id: str = Field(default="", alias="feedbackId")


class SesDelivery(_SesModel):
    timestamp: AwareDatetime
    recipients: tuple[str, ...] = ()


class SesReject(_SesModel):
    reason: str = ""


class SesDeliveryDelay(_SesModel):
    timestamp: AwareDatetime
    delay_type: str = Field(default="", alias="delayType")
    delayed_recipients: tuple[SesRecipientStatus, ...] = Field(default=(), alias="delayedRecipients")


class SesEmailEvent(_SesModel):
    """The `detail` of an SES event on EventBridge (the same record SES publishes to SNS)."""

    # SES names the field eventType with event publishing, notificationType without it.
    event_type: SesEventType = Field(validation_alias=AliasChoices("eventType", "notificationType"))
    mail: SesMail
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None
    delivery: SesDelivery | None = None
    reject: SesReject | None = None
    delivery_delay: SesDeliveryDelay | None = Field(default=None, alias="deliveryDelay")


class SesEventBridgeEvent(_SesModel):
    """An EventBridge event from source aws.ses; `id` is unique per event (duplicates share it)."""

    id: str
    detail_type: str = Field(alias="detail-type")
    time: AwareDatetime
    detail: SesEmailEvent


# Message tags ----------------------------------------------------------------------------------
# SES tag values allow only ASCII letters, digits, '_' and '-' (256 at most): ids are carried as
# unpadded URL-safe base64, which uses exactly those characters.
TAG_TENANT = "autodispatch-tenant"
TAG_INVOICE = "autodispatch-invoice"
TAG_KIND = "autodispatch-kind"
NOTIFICATION_KIND = "NOTIFICATION"


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(value: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


class EmailSubject(BaseModel):
    """What an email carried, read back from its tags: an invoice's email (INVOICE, FACTORING,
    DIRECT_PAYMENT_NOTICE) or a tenant's notification (NOTIFICATION, no invoice)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    invoice_id: str | None
    kind: str

    @property
    def key(self) -> InvoiceKey | None:
        if self.invoice_id is None:
            return None
        return InvoiceKey(tenant_id=self.tenant_id, invoice_id=self.invoice_id)


def email_tags(tenant_id: str, invoice_id: str | None, kind: str) -> dict[str, str]:
    tags = {TAG_TENANT: _encode(tenant_id), TAG_KIND: kind}
    if invoice_id is not None:
        tags[TAG_INVOICE] = _encode(invoice_id)
    return tags


def _first(tags: dict[str, tuple[str, ...]], name: str) -> str | None:
    values = tags.get(name)
    return values[0] if values else None


def email_subject(tags: dict[str, tuple[str, ...]]) -> EmailSubject | None:
    """None for an email that carries no (readable) autodispatch tags."""
    tenant, invoice, kind = _first(tags, TAG_TENANT), _first(tags, TAG_INVOICE), _first(tags, TAG_KIND)
    tenant_id = _decode(tenant) if tenant else None
    invoice_id = _decode(invoice) if invoice else None
    if not tenant_id or not kind or (invoice is not None and not invoice_id):
        return None
    return EmailSubject(tenant_id=tenant_id, invoice_id=invoice_id, kind=kind)
