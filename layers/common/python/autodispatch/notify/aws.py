"""Notifications through SES v2 (email) and SNS (SMS)."""

from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import boto3
from botocore.exceptions import ClientError

from autodispatch.errors import PermanentRejection, TransientError

# Error codes (never message text) that a later retry may get past.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "LimitExceededException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "KMSThrottlingException",
    }
)


def _raise_mapped(error: ClientError, what: str) -> None:
    code = error.response.get("Error", {}).get("Code", "")
    if code in TRANSIENT_CODES:
        raise TransientError(f"{what} failed temporarily ({code})") from error
    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        # The service failed while handling the message: it may have gone out.
        raise TransientError(f"{what} failed on the service side ({code})", in_doubt=True) from error
    raise PermanentRejection(f"{what} was rejected ({code})") from error


class SesSnsNotifier:
    def __init__(
        self,
        sender: str,
        configuration_set: str | None = None,
        sms_sender_id: str | None = None,
        *,
        sesv2_client: Any = None,
        sns_client: Any = None,
    ) -> None:
        self._sender = sender
        self._configuration_set = configuration_set
        self._sms_sender_id = sms_sender_id
        self._sesv2 = sesv2_client
        self._sns = sns_client

    def _sesv2_client(self) -> Any:
        if self._sesv2 is None:
            self._sesv2 = boto3.client("sesv2")
        return self._sesv2

    def _sns_client(self) -> Any:
        if self._sns is None:
            self._sns = boto3.client("sns")
        return self._sns

    def send_email(self, to: str, subject: str, body: str, headers: dict[str, str]) -> None:
        # The SMTP policy refuses CR/LF in header values, so no header can be injected.
        message = EmailMessage(policy=SMTP)
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        for name, value in headers.items():
            message[name] = value
        message.set_content(body)
        request: dict[str, Any] = {"Content": {"Raw": {"Data": message.as_bytes()}}}
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            self._sesv2_client().send_email(**request)
        except ClientError as error:
            _raise_mapped(error, "the notification email")

    def send_sms(self, to: str, body: str) -> None:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._sms_sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sms_sender_id}
        try:
            self._sns_client().publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)
        except ClientError as error:
            _raise_mapped(error, "the notification SMS")
