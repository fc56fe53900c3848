"""Every delivered document, kept so a user can see exactly what was sent (R19). A batch's copies
are one ZIP object, `archive/batches/<scope>/<token>.zip` (the scope names the run and the batch, so
a later invocation of the batch finds what an earlier one wrote), each member named
`archive/<tenant_id>/<invoice_id>/<channel>/<kind>/<message_id>.<xml|eml|pdf>` (ids
percent-encoded; the same delivery always has the same member name). A copy rendered again after
a crash lost the original (`logic/dispatch.py`) is listed in the object's `re-rendered.json`
member and counted in its `re-rendered` metadata: the archive says which copies are originals."""

import io
import json
import threading
import uuid
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from autodispatch.errors import TransientError
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice
from autodispatch.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BATCH_PREFIX = "archive/batches/"
# The ZIP member listing the copies rendered again rather than kept from the hand-over.
RE_RENDERED_MEMBER = "re-rendered.json"


def archive_key(
    invoice: Invoice, channel: Channel, kind: DeliveryKind, message_id: str, extension: str
) -> str:
    tenant, number = quote(invoice.tenant_id, safe=""), quote(invoice.invoice_id, safe="")
    return f"archive/{tenant}/{number}/{channel.value}/{kind.value}/{message_id}.{extension}"


class Archive(Protocol):
    """Collects the copies of what a batch (or a manual send) delivered, and writes them at once."""

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
        """Takes the document's copy into the object of `scope`; returns where it will be found
        once flushed. `re_rendered`: the copy was rendered again, not kept from its hand-over."""
        ...

    def members(self, scope: str) -> frozenset[str]:
        """The member names the objects of `scope` hold, written or waiting for a flush."""
        ...

    def flush(self) -> int:
        """Writes the copies taken since the last flush; how many. Raises TransientError when it
        cannot (the copies are then kept for the next flush)."""
        ...


class S3BatchArchive:
    """One ZIP object per batch under `archive/batches/`, its members named as the per-document keys
    (`archive_key`): one S3 write per batch instead of one per document (cost). `put` returns
    `<object key>#<member>`. Safe to share between threads (the local runtime runs batches on
    threads with one deliverer): a flush takes every copy collected so far. The bucket's default
    encryption applies; `kms=True` asks for aws:kms."""

    def __init__(self, client: Callable[[], "S3Client"], bucket: str, *, kms: bool = False) -> None:
        self._client = client
        self._bucket = bucket
        self._kms = kms
        self._lock = threading.Lock()
        self._current: dict[str, str] = {}  # scope -> the object key its copies go to
        self._pending: dict[str, dict[str, bytes]] = {}  # object key -> member -> content
        self._re_rendered: dict[str, set[str]] = {}  # object key -> its re-rendered members

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
        member = archive_key(invoice, channel, kind, message_id, extension)
        with self._lock:
            key = self._current.setdefault(scope, f"{_scope_prefix(scope)}{uuid.uuid4().hex}.zip")
            self._pending.setdefault(key, {})[member] = content
            if re_rendered:
                self._re_rendered.setdefault(key, set()).add(member)
            return f"{key}#{member}"

    def members(self, scope: str) -> frozenset[str]:
        prefix = _scope_prefix(scope)
        with self._lock:
            found = {
                member for key, held in self._pending.items() if key.startswith(prefix) for member in held
            }
        client = self._client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
            for listed in page.get("Contents", []):
                body = client.get_object(Bucket=self._bucket, Key=listed["Key"])["Body"].read()
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    found.update(name for name in archive.namelist() if name != RE_RENDERED_MEMBER)
        return frozenset(found)

    def flush(self) -> int:
        with self._lock:
            objects, self._pending, self._current = self._pending, {}, {}
            labels, self._re_rendered = self._re_rendered, {}
        written, failed = 0, 0
        for key, members in objects.items():
            try:
                self._write(key, members, labels.get(key, set()))
                written += len(members)
            except (ClientError, BotoCoreError) as error:
                # The object's key and the error's type: its members name only invoice ids.
                logger.warning(
                    "archive object not written; kept for the next flush",
                    extra={"archive_key": key, "copies": len(members), "error_type": type(error).__name__},
                )
                failed += len(members)
                with self._lock:  # kept, under the key their receipts name, for the next flush
                    self._pending.setdefault(key, {}).update(members)
                    self._re_rendered.setdefault(key, set()).update(labels.get(key, set()))
        if failed:
            raise TransientError(f"{failed} archived copies could not be written")
        return written

    def _write(self, key: str, members: dict[str, bytes], re_rendered: set[str]) -> None:
        body = io.BytesIO()
        with zipfile.ZipFile(body, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, content in members.items():
                archive.writestr(member, content)
            if re_rendered:
                archive.writestr(RE_RENDERED_MEMBER, json.dumps(sorted(re_rendered), indent=1))
        extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"} if self._kms else {}
        self._client().put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body.getvalue(),
            ContentType="application/zip",
            Metadata={"re-rendered": str(len(re_rendered))},
            **extra,
        )


def _scope_prefix(scope: str) -> str:
    return f"{BATCH_PREFIX}{scope}/" if scope else BATCH_PREFIX
