"""Transports for EINVOICE and PRINT (R4): one small port, two adapters.

`metadata` always carries `tenant-id`, `invoice-id`, `kind` and `channel`. An HTTP transport sends
them as headers, percent-encoded (`urllib.parse.quote`, identity for plain ids such as "k-1001")
because headers are ASCII only (read them back with `unquote`); an S3 outbox object names them in
its transmission file (channels/transmission.py).
"""

import http.client
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from autodispatch.channels.transmission import TRANSMISSIONS, TransmittedDocument
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.text import Text
from autodispatch.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

METADATA_KEYS = ("tenant-id", "invoice-id", "kind", "channel")


class Transport(Protocol):
    """Hands one document to an operator or print service. Submitting the same `message_id`
    again must not duplicate it. Raises PermanentRejection (refused for good) or TransientError."""

    def submit(
        self, message_id: str, content: bytes, content_type: str, metadata: Mapping[str, str]
    ) -> None: ...


def encoded(metadata: Mapping[str, str]) -> dict[str, str]:
    return {key: quote(value, safe="") for key, value in metadata.items()}


# A transmission object is written once it holds this many bytes (and its documents in flight have
# come), rather than only at the batch's end: it bounds the batch's memory (100 letters of ~15 KB
# are one object; the largest invoices the limits allow make a few).
TRANSMISSION_BYTES = 8 * 1024 * 1024


@dataclass
class _Part:
    """One transmission object being filled: the places reserved in it (each named on its
    invoice's claim before anything is sent) and the documents staged so far."""

    key: str
    reserved: int = 0
    documents: list[TransmittedDocument] = field(default_factory=list)
    size: int = 0
    sealed: bool = False  # no more reservations: the next go to a new part


class S3OutboxTransport:
    """The bucket's `outbox/<transport>/` for operators and print services that collect files (and
    the local runtime); every object is a transmission file of the transport's format
    (channels/transmission.py).

    A batch's documents are staged: `reserve` names the object a document will be in before its
    invoice is claimed, `stage` adds the rendered document, and `transmit` writes each object once,
    `outbox/<transport>/<run>/<batch>/<attempt>-<part>.<ext>` (one object per batch attempt and
    transport; a part is written as soon as it holds TRANSMISSION_BYTES and its reserved documents
    have come). A document is delivered when its object is written, and only then. `submit` writes
    one document at once as a transmission of its own, `outbox/<transport>/<tenant>/<message
    id>.<ext>` (a manual send, a factoring copy, the repeat of an earlier such attempt): the key is
    deterministic, so a repeat overwrites. Safe to share between the batch's workers."""

    def __init__(
        self,
        client: Callable[[], "S3Client"],
        bucket: str,
        transport: str,
        *,
        part_bytes: int = TRANSMISSION_BYTES,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._transport = transport
        self._format = TRANSMISSIONS[transport]
        self._part_bytes = part_bytes
        self._lock = threading.Lock()
        self._open: dict[str, _Part] = {}  # the part taking reservations, per batch attempt
        self._parts: dict[str, _Part] = {}  # key -> every part not yet written
        self._done: dict[str, bool] = {}  # key -> written, since the last `transmit`
        self._numbers: dict[str, int] = {}  # the last part number of each batch attempt

    def key(self, message_id: str, tenant_id: str) -> str:
        """The object of a document submitted on its own."""
        extension = self._format.extension
        return f"outbox/{self._transport}/{quote(tenant_id, safe='')}/{message_id}.{extension}"

    def submit(self, message_id: str, content: bytes, content_type: str, metadata: Mapping[str, str]) -> None:
        document = _document(message_id, content, metadata)
        self._put(self.key(message_id, document.tenant_id), [document])

    def reserve(self, attempt: str) -> str:
        """A place in the open object of the batch attempt `attempt` (`<run>/<batch>/<token>`)."""
        with self._lock:
            part = self._open.get(attempt)
            if part is None or part.sealed:
                number = self._numbers[attempt] = self._numbers.get(attempt, 0) + 1
                part = _Part(key=f"{self._prefix(attempt)}{number}.{self._format.extension}")
                self._open[attempt] = self._parts[part.key] = part
            part.reserved += 1
            return part.key

    def stage(self, key: str, message_id: str, content: bytes, metadata: Mapping[str, str]) -> None:
        """The document takes its reserved place; a full part whose documents have all come is
        written now."""
        with self._lock:
            part = self._parts[key]
            part.documents.append(_document(message_id, content, metadata))
            part.size += len(content)
            part.sealed = part.sealed or part.size >= self._part_bytes
            ready = self._ready(part)
        if ready is not None:
            self._write(ready)

    def cancel(self, key: str) -> None:
        """A reserved place whose document will not come (it could not be built or was refused)."""
        with self._lock:
            part = self._parts.get(key)
            if part is None:
                return
            part.reserved -= 1
            ready = self._ready(part)
        if ready is not None:
            self._write(ready)

    def transmit(self, attempt: str) -> dict[str, bool]:
        """Writes every part of the batch attempt still waiting; whether each object it staged was
        written (a part with no document is no object). Only its own: another attempt's parts are
        never written by it (a try that went down may have left some in this warm process, and a
        later try has taken its invoices over)."""
        waiting = [part for part in self._take(attempt).values() if part.documents]
        for part in waiting:
            self._write(part)
        with self._lock:
            done = {
                key: written for key, written in self._done.items() if key.startswith(self._prefix(attempt))
            }
            for key in done:
                del self._done[key]
        return done

    def abandon(self, attempt: str) -> None:
        """The batch attempt went down: what it staged is dropped, never written."""
        self._take(attempt)
        with self._lock:
            for key in [key for key in self._done if key.startswith(self._prefix(attempt))]:
                del self._done[key]

    def _take(self, attempt: str) -> dict[str, _Part]:
        """The attempt's waiting parts, no longer waiting (locked)."""
        prefix = self._prefix(attempt)
        with self._lock:
            taken = {key: part for key, part in self._parts.items() if key.startswith(prefix)}
            for key in taken:
                del self._parts[key]
            self._open.pop(attempt, None)
            self._numbers.pop(attempt, None)
        return taken

    def _prefix(self, attempt: str) -> str:
        return f"outbox/{self._transport}/{attempt}-"

    def _ready(self, part: _Part) -> _Part | None:
        """A sealed part whose reserved documents have all come leaves the waiting parts (locked)."""
        if not part.sealed or len(part.documents) < part.reserved or part.key not in self._parts:
            return None
        del self._parts[part.key]
        return part

    def _write(self, part: _Part) -> None:
        try:
            self._put(part.key, part.documents)
            written = True
        except TransientError as error:
            logger.warning(
                "transmission object not written; its documents are not delivered",
                extra={"key": part.key, "documents": len(part.documents), "error_type": type(error).__name__},
            )
            written = False
        with self._lock:
            self._done[part.key] = written

    def _put(self, key: str, documents: Sequence[TransmittedDocument]) -> None:
        try:
            self._client().put_object(
                Bucket=self._bucket,
                Key=key,
                Body=self._format.build(documents),
                ContentType=self._format.content_type,
                Metadata={"documents": str(len(documents))},
            )
        except (ClientError, BotoCoreError) as error:
            # Not the invoice's fault, so never a rejection; a repeated put only overwrites.
            raise self._unwritable(error) from None

    def _unwritable(self, error: Exception) -> TransientError:
        return _outbox_error(f"outbox/{self._transport}", error)


def _outbox_error(folder: str, error: Exception) -> TransientError:
    return TransientError.said(Text.of("reason.outbox", folder=folder, error=_code(error)), in_doubt=True)


class OutboxObjects:
    """Whether an S3 outbox object exists (R23: a document staged for it was delivered exactly when
    it does). Light: the run's last sweep asks it without the rest of the channels."""

    def __init__(self, client: Callable[[], "S3Client"], bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def exists(self, key: str) -> bool:
        """Listed under its own key (ListObjectsV2, strongly consistent like a HEAD, and what the
        functions' s3:ListBucket, limited to the outbox prefix, allows: a HEAD without it would
        answer a missing object 403, not 404). Raises TransientError when S3 does not say."""
        try:
            listed = self._client().list_objects_v2(Bucket=self._bucket, Prefix=key, MaxKeys=1)
        except (ClientError, BotoCoreError) as error:
            raise _outbox_error(key.rsplit("/", 1)[0], error) from None
        return any(item.get("Key") == key for item in listed.get("Contents", []))


def _document(message_id: str, content: bytes, metadata: Mapping[str, str]) -> TransmittedDocument:
    return TransmittedDocument(
        message_id=message_id,
        tenant_id=metadata["tenant-id"],
        invoice_id=metadata["invoice-id"],
        kind=DeliveryKind(metadata["kind"]),
        channel=Channel(metadata["channel"]),
        content=content,
    )


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "error"))
    return type(error).__name__


def secret_api_key(client: Callable[[], "SecretsManagerClient"], secret_name: str) -> Callable[[], str]:
    """The API key from Secrets Manager, fetched on first use and kept for the process.

    The secret is either the key itself or a JSON object with an `api_key` field."""

    @cache
    def fetch() -> str:
        try:
            value = client().get_secret_value(SecretId=secret_name)["SecretString"]
        except (ClientError, BotoCoreError, KeyError) as error:
            raise TransientError.said(Text.of("reason.api_key", error=_code(error))) from None
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return value
        return str(parsed["api_key"]) if isinstance(parsed, dict) and "api_key" in parsed else value

    return fetch


# What a transport is called where no route names it.
SERVICE = Text.of("service.any")

# Statuses that ask to come back later; anything else in 4xx refuses the message for good.
_RETRY_LATER = frozenset({408, 425, 429})


class HttpTransport:
    """POSTs the document to an operator's or print service's HTTP API.

    `Idempotency-Key: <message_id>` lets the service drop a repeated submission. 2xx accepts,
    4xx refuses for good (except 408/425/429), 5xx and network failures are transient: in doubt
    when the request may have been processed (no answer after sending, 500/502/504), not in doubt
    when it surely was not (connection refused, 503, 429).
    """

    def __init__(
        self,
        base_url: str,
        api_key: Callable[[], str] | None = None,
        *,
        name: Text = SERVICE,
        timeout: float = 20.0,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("the transport's base URL must be http(s)")
        self._url = base_url
        self._api_key = api_key
        self._name = name
        self._timeout = timeout

    def submit(self, message_id: str, content: bytes, content_type: str, metadata: Mapping[str, str]) -> None:
        headers = {"Content-Type": content_type, "Idempotency-Key": message_id}
        headers.update({f"X-Autodispatch-{key.title()}": value for key, value in encoded(metadata).items()})
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key()}"
        request = urllib.request.Request(self._url, data=content, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            raise self._status_error(error.code) from None
        except urllib.error.URLError as error:
            # urllib wraps failures before the request was sent: refused, unresolvable, connect timeout.
            raise TransientError.said(
                Text.of("reason.service_unreachable", service=self._name, cause=str(error.reason)),
                in_doubt=False,
            ) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError):
            raise TransientError.said(
                Text.of("reason.service_no_answer", service=self._name), in_doubt=True
            ) from None

    def _status_error(self, status: int) -> PermanentRejection | TransientError:
        if 400 <= status < 500 and status not in _RETRY_LATER:
            return PermanentRejection.said(
                Text.of("reason.service_refused", service=self._name, status=str(status))
            )
        in_doubt = status >= 500 and status != 503
        return TransientError.said(
            Text.of("reason.service_answered", service=self._name, status=str(status)), in_doubt=in_doubt
        )
