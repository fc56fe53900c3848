"""Transports for EINVOICE and PRINT (R4): one small port, two adapters.

`metadata` always carries `tenant-id`, `invoice-id`, `kind` and `channel`. Values travel
percent-encoded (`urllib.parse.quote`, identity for plain ids such as "k-1001") because S3 user
metadata and HTTP headers are ASCII only; read them back with `unquote`.
"""

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.text import Text

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


class S3OutboxTransport:
    """Writes to `outbox/<transport>/<tenant_id>/<message_id>.<extension>` (transport `einvoice`,
    `peppol` or `print`) for providers that collect files (and the local runtime). The key is
    deterministic, so a retry overwrites."""

    def __init__(
        self,
        client: Callable[[], "S3Client"],
        bucket: str,
        folder: str,
        extension: str,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._folder = folder
        self._extension = extension

    def key(self, message_id: str, tenant_id: str) -> str:
        return f"outbox/{self._folder}/{quote(tenant_id, safe='')}/{message_id}.{self._extension}"

    def submit(self, message_id: str, content: bytes, content_type: str, metadata: Mapping[str, str]) -> None:
        key = self.key(message_id, metadata["tenant-id"])
        try:
            self._client().put_object(
                Bucket=self._bucket,
                Key=key,
                Body=content,
                ContentType=content_type,
                Metadata=encoded(metadata),
            )
        except (ClientError, BotoCoreError) as error:
            # Not the invoice's fault, so never a rejection; a repeated put only overwrites.
            raise TransientError.said(
                Text.of("reason.outbox", folder=f"outbox/{self._folder}", error=_code(error)), in_doubt=True
            ) from None


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
