"""Sending through SES v2, shared by the invoice emails (channels) and the notifications (notify):
the rendered message, the sender port, its one adapter and the mapping of SES errors to
PermanentRejection / TransientError (in doubt when SES may have accepted the message, R23).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)

from autodispatch.clients import new_client
from autodispatch.errors import AccountFault, PermanentRejection, TransientError
from autodispatch.models.text import Text

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


# A send's longest wait: both together stay well inside a batch's 30 s reserve (R24).
SES_CONNECT_TIMEOUT_SECONDS = 5
SES_READ_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered message: the raw MIME bytes and its envelope."""

    raw: bytes
    sender: str
    recipients: tuple[str, ...]
    # SES message tags: what the email carries, read back from its delivery events (R26).
    tags: dict[str, str] = field(default_factory=dict)


class EmailSender(Protocol):
    """Sends a rendered message; raises PermanentRejection or TransientError."""

    def send(self, message: OutgoingEmail) -> str:
        """Returns the provider's message id."""
        ...


# SES v2 error codes: a permanent one moves the chain on (R12); everything else is transient.
PERMANENT_SES_ERRORS = frozenset(
    {
        "MessageRejected",
        "BadRequestException",
        "NotFoundException",
        "InvalidParameterValue",
    }
)
# SES refused these before accepting the message, so retrying cannot send it twice (R23).
THROTTLING_SES_ERRORS = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
    }
)
# The sender's account cannot send at all: the operator must act (AccountFault), each with the
# catalogue code that names the cause.
ACCOUNT_SES_ERRORS = {
    "AccountSuspendedException": "email_account.suspended",
    "SendingPausedException": "email_account.paused",
    "ConfigurationSetSendingPausedException": "email_account.paused",
    "MailFromDomainNotVerifiedException": "email_account.mail_from_unverified",
}
# The metric counting the invoices an account fault stopped; its alarm reaches the operator.
ACCOUNT_FAULTS_METRIC = "EmailAccountFaults"
# Server-side failures: SES may have accepted the message before failing, so the outcome is in
# doubt (R23), as is any 5xx or a missing status.
SERVER_SES_ERRORS = frozenset({"InternalFailure", "ServiceUnavailable"})


def ses_error(error: ClientError) -> PermanentRejection | TransientError:
    """By error code only, never by message text; unknown codes by HTTP status class."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in ACCOUNT_SES_ERRORS:
        return AccountFault.said(Text.of(ACCOUNT_SES_ERRORS[code]))
    if code in PERMANENT_SES_ERRORS:
        return PermanentRejection.said(Text.of("reason.email_rejected", error=code))
    if code in THROTTLING_SES_ERRORS:
        return TransientError.said(Text.of("reason.email_throttled", error=code), in_doubt=False)
    if code in SERVER_SES_ERRORS or status >= 500 or status == 0:
        return TransientError.said(Text.of("reason.email_in_doubt", error=code or str(status)), in_doubt=True)
    return PermanentRejection.said(Text.of("reason.email_rejected", error=code or str(status)))


def new_sesv2_client() -> "SESV2Client":
    import boto3  # noqa: PLC0415 - clients only when first needed, never at import
    from botocore.config import Config  # noqa: PLC0415

    # No SDK retries: a timed-out send retried by the SDK could deliver the email twice (R23).
    # Timeouts that fit one send inside the batch's reserve (logic/dispatch.RESERVE_SECONDS), not
    # botocore's 60 s read timeout.
    config = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=SES_CONNECT_TIMEOUT_SECONDS,
        read_timeout=SES_READ_TIMEOUT_SECONDS,
    )
    return new_client(lambda: boto3.client("sesv2", config=config))


class SesEmailSender:
    """SES v2 `SendEmail` with raw content. The client comes from a factory on first use (never
    at import); build it without SDK retries, because a resent email is a duplicate (R23)."""

    def __init__(self, client: Callable[[], "SESV2Client"], configuration_set: str | None = None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, message: OutgoingEmail) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": message.sender,
            "Destination": {"ToAddresses": list(message.recipients)},
            "Content": {"Raw": {"Data": message.raw}},
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if message.tags:
            request["EmailTags"] = [{"Name": name, "Value": value} for name, value in message.tags.items()]
        try:
            response = self._client().send_email(**request)
        except ClientError as error:
            raise ses_error(error) from None
        except (EndpointConnectionError, ConnectTimeoutError, NoCredentialsError):
            raise TransientError.said(Text.of("reason.email_unreachable"), in_doubt=False) from None
        except BotoCoreError:
            # A read timeout or a dropped connection after the request went out: SES may have
            # accepted the message.
            raise TransientError.said(Text.of("reason.email_no_answer"), in_doubt=True) from None
        return str(response.get("MessageId", ""))
