"""The delivery port: what the dispatch logic needs from the channels.

A channel raises PermanentRejection when it refuses the invoice for good (the chain moves on,
R12) and TransientError when a retry may succeed.
"""

from collections.abc import Sequence
from datetime import datetime
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
    # Staged for this S3 outbox object, which is not written yet: delivered once `transmit` has
    # written it (the receipt's `archive_key` is then where the document is). None: delivered now.
    transmission: str | None = None


class Occasion(BaseModel):
    """When and for whom a document is rendered: `at` is the instant it carries (PDF creation date,
    e-invoice timestamps, the email's Date), recorded before the send so the same document can be
    rendered again byte for byte; `scope` names the archive object its copy joins (run and batch;
    empty: a manual send), `attempt` the batch's invocation (`<scope>/<token>`: its S3 outbox
    objects). `transmission`: the outbox object reserved for the document (`transmission_for`);
    None sends it at once. None `at`: the deliverer's clock."""

    model_config = ConfigDict(frozen=True)

    at: datetime | None = None
    scope: str = ""
    attempt: str = ""
    transmission: str | None = None


# A send of its own (a manual one): rendered at the deliverer's clock, archived in an object of its own.
IMMEDIATE = Occasion()


class Delivered(BaseModel):
    """A delivery the store records as made (R19), whose copy the archive must hold."""

    model_config = ConfigDict(frozen=True)

    invoice: Invoice
    tenant: Tenant
    channel: Channel
    kind: DeliveryKind
    at: datetime
    factoring: FactoringRoute | None = None  # for a financier's copy (R17)


class Deliverer(Protocol):
    def deliver(
        self,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        kind: DeliveryKind,
        occasion: Occasion = IMMEDIATE,
    ) -> DeliveryReceipt:
        """Render the document for the channel, hand it over, archive what was sent."""
        ...

    def deliver_factoring(
        self, invoice: Invoice, tenant: Tenant, route: FactoringRoute, occasion: Occasion = IMMEDIATE
    ) -> DeliveryReceipt:
        """R17: the copy of the invoice for the financier, with the assignment details."""
        ...

    def transmission_for(
        self, invoice: Invoice, channel: Channel, kind: DeliveryKind, occasion: Occasion
    ) -> str | None:
        """The S3 outbox object the document will be staged for, its place reserved (the claim names
        it before anything is sent); None when it goes out at once (HTTP, email, a factoring copy,
        a send outside a batch)."""
        ...

    def transmit(self, attempt: str) -> dict[str, bool]:
        """Writes the outbox objects the batch attempt (`Occasion.attempt`) staged, each once;
        whether each was written (its documents delivered) or not (none of them delivered)."""
        ...

    def abandon(self, attempt: str) -> None:
        """The batch attempt went down before its objects were written: what it staged is dropped,
        never written (its invoices' next owner finds the objects absent and sends them)."""
        ...

    def transmitted(self, key: str) -> bool:
        """Whether an outbox object exists (R23: an attempt staged for it delivered exactly when
        it does). Raises TransientError when that cannot be told now."""
        ...

    def flush_archive(self) -> bool:
        """Write the copies of what was delivered since the last flush (one object per batch); False
        when they could not be written (they wait for the next flush of this process)."""
        ...

    def recover_copies(self, scope: str, deliveries: Sequence[Delivered]) -> int:
        """Renders again, from what was recorded, each delivery whose copy the archive of `scope`
        lacks (a crash lost it), labelled as re-rendered, for the next flush; how many."""
        ...
