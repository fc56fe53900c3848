"""Deterministic message identifiers: the same invoice content through the same channel always
gets the same id, so a retried send is recognised (Idempotency-Key, outbox key, Finvoice
MessageIdentifier, email Message-ID), while a corrected invoice sent again (R22) gets a new one."""

import hashlib

from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice

_PREFIX = {
    DeliveryKind.INVOICE: "INV",
    DeliveryKind.FACTORING: "FAC",
    DeliveryKind.DIRECT_PAYMENT_NOTICE: "DPN",
}


def message_id(invoice: Invoice, channel: Channel, kind: DeliveryKind) -> str:
    """36 characters of [A-Z0-9-]: fits Finvoice's 48, S3 keys, HTTP headers and Message-IDs."""
    digest = hashlib.sha256()
    for part in (invoice.tenant_id, invoice.invoice_id, channel.value, kind.value, invoice.model_dump_json()):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return f"{_PREFIX[kind]}-{digest.hexdigest()[:32].upper()}"


def kind_of(identifier: str) -> DeliveryKind:
    """What a message id names: its prefix is the kind's (`message_id`)."""
    prefix = identifier.split("-", 1)[0]
    return next(kind for kind, known in _PREFIX.items() if known == prefix)
