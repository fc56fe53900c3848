"""Notifications through SES v2 (email, the same sender as the invoice emails) and SNS (SMS)."""

from email.errors import HeaderParseError
from email.message import EmailMessage
from email.policy import SMTP
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from autodispatch.clients import new_client
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.mime import UnsafeText, check_header_text, header_text, message_bytes
from autodispatch.models.text import Text
from autodispatch.ses import OutgoingEmail, SesEmailSender, new_sesv2_client

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# SNS refused these before accepting the message, so a retry cannot send the SMS twice.
THROTTLING_SNS_ERRORS = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "KMSThrottlingException"}
)


def sns_error(error: ClientError) -> PermanentRejection | TransientError:
    """By error code only; a server-side failure may have sent the SMS, so it is in doubt."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in THROTTLING_SNS_ERRORS:
        return TransientError.said(Text.of("reason.sms_throttled", error=code), in_doubt=False)
    if code == "InternalError" or status >= 500:
        return TransientError.said(Text.of("reason.sms_in_doubt", error=code), in_doubt=True)
    return PermanentRejection.said(Text.of("reason.sms_rejected", error=code))


class SesSnsNotifier:
    def __init__(
        self,
        sender: str,
        configuration_set: str | None = None,
        sms_sender_id: str | None = None,
        *,
        sesv2_client: "SESV2Client | None" = None,
        sns_client: "SNSClient | None" = None,
    ) -> None:
        self._sender = sender
        self._sms_sender_id = sms_sender_id
        self._sns = sns_client

        @cache
        def sesv2() -> "SESV2Client":
            return sesv2_client or new_sesv2_client()

        self._email = SesEmailSender(sesv2, configuration_set)

    def _sns_client(self) -> "SNSClient":
        if self._sns is None:
            self._sns = new_client(lambda: boto3.client("sns"))
        return self._sns

    def send_email(
        self,
        to: str,
        subject: str,
        body: str,
        headers: dict[str, str],
        tags: dict[str, str],
        *,
        html: str | None = None,
    ) -> None:
        # Header text is made safe on every Python (CVE-2024-6923) and the result checked.
        message = EmailMessage(policy=SMTP)
        try:
            message["From"] = self._sender
            message["To"] = check_header_text(to, Text.of("header.notification_address"))
            message["Subject"] = header_text(subject, Text.of("header.subject"))
            for name, value in headers.items():
                message[name] = header_text(value, Text.of("header.named", name=name))
        except (ValueError, HeaderParseError) as error:  # e.g. an address the header parser refuses
            raise UnsafeText.said(Text.of("unsafe.notification_headers", cause=str(error))) from None
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
        self._email.send(
            OutgoingEmail(raw=message_bytes(message), sender=self._sender, recipients=(to,), tags=tags)
        )

    def send_sms(self, to: str, body: str) -> None:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if self._sms_sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sms_sender_id}
        try:
            self._sns_client().publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)
        except ClientError as error:
            raise sns_error(error) from None
