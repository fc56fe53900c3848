"""The delivery port: what the dispatch logic needs from the channels.

A channel raises PermanentRejection when it refuses the invoice for good (the chain moves on,
R12) and TransientError when a retry may succeed.
"""

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from autodispatch.models.dispatch import FactoringRoute
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant


class DeliveryReceipt(BaseModel):
    """Proof of one delivery: the deterministic message id and where its archived copy lies."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    kind: DeliveryKind
    message_id: str
    archive_key: str


class Deliverer(Protocol):
    def deliver(
        self, invoice: Invoice, tenant: Tenant, channel: Channel, kind: DeliveryKind
    ) -> DeliveryReceipt:
        """Render the document for the channel, hand it over, archive what was sent."""
        ...

    def deliver_factoring(self, invoice: Invoice, tenant: Tenant, route: FactoringRoute) -> DeliveryReceipt:
        """R17: the copy of the invoice for the financier, with the assignment details."""
        ...

    def flush_archive(self) -> None:
        """Write the copies of what was delivered since the last flush (one object per batch)."""
        ...
