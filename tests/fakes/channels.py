"""In-memory channel parts for the real ChannelDeliverer: transports, an email sender and an
archive that record what they are given, so tests see exactly what left the process."""

from collections.abc import Mapping
from datetime import UTC, datetime

from autodispatch.channels.archive import archive_key
from autodispatch.channels.deliverer import ChannelDeliverer
from autodispatch.errors import TransientError
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice
from autodispatch.ses import OutgoingEmail


class FakeTransport:
    def __init__(self) -> None:
        self.submitted: list[tuple[str, bytes, str, dict[str, str]]] = []

    def submit(self, message_id: str, content: bytes, content_type: str, metadata: Mapping[str, str]) -> None:
        self.submitted.append((message_id, content, content_type, dict(metadata)))


class FakeSender:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[OutgoingEmail] = []
        self.error = error

    def send(self, message: OutgoingEmail) -> str:
        if self.error is not None:
            raise self.error
        self.sent.append(message)
        return "ses-id"


class FakeArchive:
    """Copies are taken by `put` and kept in `stored` once flushed, as the S3 batch archive does."""

    def __init__(self, fail: bool = False) -> None:
        self.stored: dict[str, bytes] = {}
        self.taken: dict[str, bytes] = {}
        self.re_rendered: set[str] = set()
        self.fail = fail

    def put(
        self,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        message_id: str,
        content: bytes,
        extension: str,
        *,
        scope: str = "",
        re_rendered: bool = False,
    ) -> str:
        key = archive_key(invoice, channel, kind, message_id, extension)
        self.taken[key] = content
        if re_rendered:
            self.re_rendered.add(key)
        return key

    def members(self, scope: str) -> frozenset[str]:
        return frozenset(self.stored) | frozenset(self.taken)

    def flush(self) -> int:
        if self.fail:
            raise TransientError("archive down", in_doubt=True)
        self.stored.update(self.taken)
        written, self.taken = len(self.taken), {}
        return written


class Parts:
    def __init__(
        self,
        sender_error: Exception | None = None,
        archive_fails: bool = False,
        peppol: FakeTransport | None = None,
    ) -> None:
        self.einvoice, self.print = FakeTransport(), FakeTransport()
        self.peppol = peppol or FakeTransport()
        self.email, self.archive = FakeSender(sender_error), FakeArchive(archive_fails)
        self.deliverer = ChannelDeliverer(
            transports={"einvoice": self.einvoice, "peppol": self.peppol, "print": self.print},
            email=self.email,
            archive=self.archive,
            sender_email="laskut@autodispatch.example",
            outbox=lambda key: False,  # no S3 outbox transport here: nothing is ever staged
            clock=lambda: datetime(2026, 3, 10, 0, 5, tzinfo=UTC),
        )
