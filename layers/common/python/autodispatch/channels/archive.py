"""Every delivered document, kept so a user can see exactly what was sent (R19):
`archive/<tenant_id>/<invoice_id>/<channel>/<kind>/<message_id>.<xml|eml|pdf>`. Ids are
percent-encoded in the key; the same delivery always has the same key."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from autodispatch.channels.transports import encoded
from autodispatch.errors import TransientError
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONTENT_TYPES = {"xml": "application/xml", "eml": "message/rfc822", "pdf": "application/pdf"}


def archive_key(
    invoice: Invoice, channel: Channel, kind: DeliveryKind, message_id: str, extension: str
) -> str:
    tenant, number = quote(invoice.tenant_id, safe=""), quote(invoice.invoice_id, safe="")
    return f"archive/{tenant}/{number}/{channel.value}/{kind.value}/{message_id}.{extension}"


class Archive(Protocol):
    def put(
        self,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        message_id: str,
        content: bytes,
        extension: str,
    ) -> str:
        """Stores the document and returns its key; raises TransientError when it cannot."""
        ...


class S3Archive:
    """The bucket's default encryption applies; `kms=True` asks for aws:kms explicitly."""

    def __init__(self, client: Callable[[], "S3Client"], bucket: str, *, kms: bool = False) -> None:
        self._client = client
        self._bucket = bucket
        self._kms = kms

    def put(
        self,
        invoice: Invoice,
        channel: Channel,
        kind: DeliveryKind,
        message_id: str,
        content: bytes,
        extension: str,
    ) -> str:
        key = archive_key(invoice, channel, kind, message_id, extension)
        extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"} if self._kms else {}
        metadata = {
            "tenant-id": invoice.tenant_id,
            "invoice-id": invoice.invoice_id,
            "kind": kind.value,
            "channel": channel.value,
        }
        try:
            self._client().put_object(
                Bucket=self._bucket,
                Key=key,
                Body=content,
                ContentType=CONTENT_TYPES[extension],
                Metadata=encoded(metadata),
                **extra,
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError(
                f"the archive could not be written ({type(error).__name__})", in_doubt=True
            ) from None
        return key
