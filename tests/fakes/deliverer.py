"""A Deliverer that renders nothing: it records every call and raises what a test scripted for an
(invoice, channel), as a real channel would (PermanentRejection, TransientError, or a crash)."""

from collections.abc import Sequence
from datetime import datetime

from autodispatch.channels.ids import message_id
from autodispatch.channels.port import IMMEDIATE, Delivered, DeliveryReceipt, Occasion
from autodispatch.errors import TransientError
from autodispatch.models.dispatch import FactoringRoute
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant

Copy = tuple[str, Channel, DeliveryKind]


class ScriptedDeliverer:
    """Implements `autodispatch.channels.port.Deliverer`, the one scripted deliverer of the tests.
    Which channels are safe to repeat is the route registry's (models/routes.py), not a deliverer's.

    With `staging`, a batch's e-invoices and letters wait for outbox objects as on the S3 outbox
    transports: one object per batch attempt and channel, written by `transmit` (delivered then,
    and the object is their copy); a factoring copy goes at once."""

    def __init__(self, staging: bool = False) -> None:
        self.staging = staging
        # The outbox objects written (each its documents) and the documents staged for them.
        self.objects: dict[str, list[Copy]] = {}
        self.staged: dict[str, list[Copy]] = {}
        self._transmit_errors = 0
        self._lookup_errors = 0
        self.calls: list[tuple[str, Channel, DeliveryKind]] = []
        # The deliveries that went through (a call that raised delivered nothing).
        self.delivered: list[tuple[str, Channel]] = []
        self.factoring_calls: list[tuple[str, Channel]] = []
        self._errors: dict[tuple[str, Channel], list[BaseException]] = {}
        self._factoring_errors: list[BaseException] = []
        self.archive_flushes = 0
        self.archive_objects = 0  # flushes that wrote copies (an empty flush writes nothing)
        self._flush_errors = 0
        # Copies of what was delivered: held in the process's memory until a flush writes them.
        self.unflushed: list[tuple[str, Channel, DeliveryKind]] = []
        self.archived: list[tuple[str, Channel, DeliveryKind]] = []
        # The instant each delivered document carried, and the copies rendered again (with theirs).
        self.rendered_at: dict[tuple[str, Channel, DeliveryKind], datetime | None] = {}
        self.re_rendered: dict[tuple[str, Channel, DeliveryKind], datetime] = {}

    def fail(self, invoice_id: str, channel: Channel, *errors: BaseException) -> None:
        """The next deliveries of the invoice through the channel raise these errors, in turn."""
        self._errors.setdefault((invoice_id, channel), []).extend(errors)

    def refuse(self, invoice_id: str, error: BaseException) -> None:
        """Every channel raises `error` for the invoice (one time each)."""
        for channel in Channel:
            self.fail(invoice_id, channel, error)

    def fail_factoring(self, error: BaseException) -> None:
        self._factoring_errors.append(error)

    def fail_transmits(self, count: int) -> None:
        """The next `count` transmits cannot write their objects (S3 refused: nothing delivered)."""
        self._transmit_errors += count

    def fail_lookups(self, count: int) -> None:
        """The next `count` looks for an outbox object get no answer (TransientError)."""
        self._lookup_errors += count

    def fail_flushes(self, count: int) -> None:
        """The next `count` archive flushes cannot write (their copies stay in memory)."""
        self._flush_errors += count

    def deliver(
        self,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        kind: DeliveryKind,
        occasion: Occasion = IMMEDIATE,
    ) -> DeliveryReceipt:
        self.calls.append((invoice.invoice_id, channel, kind))
        errors = self._errors.get((invoice.invoice_id, channel))
        if errors:
            raise errors.pop(0)
        if occasion.transmission is not None:
            self.staged.setdefault(occasion.transmission, []).append((invoice.invoice_id, channel, kind))
            self.rendered_at[(invoice.invoice_id, channel, kind)] = occasion.at
            identifier = message_id(invoice, channel, kind)  # as long as the real one (item sizes)
            return DeliveryReceipt(
                channel=channel,
                kind=kind,
                message_id=identifier,
                archive_key=f"{occasion.transmission}#{identifier}",
                transmission=occasion.transmission,
            )
        self.delivered.append((invoice.invoice_id, channel))
        self.unflushed.append((invoice.invoice_id, channel, kind))
        self.rendered_at[(invoice.invoice_id, channel, kind)] = occasion.at
        return DeliveryReceipt(
            channel=channel, kind=kind, message_id=f"m-{invoice.invoice_id}", archive_key="archive"
        )

    def deliver_factoring(
        self, invoice: Invoice, tenant: Tenant, route: FactoringRoute, occasion: Occasion = IMMEDIATE
    ) -> DeliveryReceipt:
        self.factoring_calls.append((invoice.invoice_id, route.channel))
        if self._factoring_errors:
            raise self._factoring_errors.pop(0)
        self.unflushed.append((invoice.invoice_id, route.channel, DeliveryKind.FACTORING))
        self.rendered_at[(invoice.invoice_id, route.channel, DeliveryKind.FACTORING)] = occasion.at
        return DeliveryReceipt(
            channel=route.channel, kind=DeliveryKind.FACTORING, message_id="factoring", archive_key="archive"
        )

    def transmission_for(
        self, invoice: Invoice, channel: Channel, kind: DeliveryKind, occasion: Occasion
    ) -> str | None:
        if not self.staging or kind is DeliveryKind.FACTORING or channel is Channel.EMAIL:
            return None
        return f"outbox/{channel.value.lower()}/{occasion.attempt}-1.xml" if occasion.attempt else None

    def transmit(self, attempt: str) -> dict[str, bool]:
        staged = {key: docs for key, docs in self.staged.items() if key.endswith(f"/{attempt}-1.xml")}
        self.staged = {key: docs for key, docs in self.staged.items() if key not in staged}
        if self._transmit_errors:
            self._transmit_errors -= 1
            return dict.fromkeys(staged, False)
        for key, documents in staged.items():
            self.objects[key] = documents
            self.delivered.extend((invoice_id, channel) for invoice_id, channel, _ in documents)
            self.archived.extend(documents)  # the outbox object is the copy
        return dict.fromkeys(staged, True)

    def abandon(self, attempt: str) -> None:
        self.staged = {
            key: docs for key, docs in self.staged.items() if not key.endswith(f"/{attempt}-1.xml")
        }

    def transmitted(self, key: str) -> bool:
        if self._lookup_errors:
            self._lookup_errors -= 1
            raise TransientError("no answer from S3", in_doubt=True)
        return key in self.objects

    def transmitted_documents(self) -> list[Copy]:
        """Every document in every outbox object written, as often as it is in one."""
        return [document for documents in self.objects.values() for document in documents]

    def flush_archive(self) -> bool:
        self.archive_flushes += 1
        if self._flush_errors:
            self._flush_errors -= 1
            return False
        self.archive_objects += bool(self.unflushed)
        self.archived.extend(self.unflushed)
        self.unflushed.clear()
        return True

    def recover_copies(self, scope: str, deliveries: Sequence[Delivered]) -> int:
        """What the real deliverer does without rendering: each delivery whose copy is neither
        written nor waiting is taken again, labelled re-rendered, with the instant it was given."""
        recovered = 0
        for done in deliveries:
            copy = (done.invoice.invoice_id, done.channel, done.kind)
            if copy in self.archived or copy in self.unflushed:
                continue
            self.unflushed.append(copy)
            self.re_rendered[copy] = done.at
            recovered += 1
        return recovered

    def die(self) -> None:
        """The process died: the copies it had not flushed, and the documents it had staged, are gone."""
        self.unflushed.clear()
        self.staged.clear()

    def channels_tried(self, invoice_id: str) -> list[Channel]:
        return [channel for called, channel, _ in self.calls if called == invoice_id]
