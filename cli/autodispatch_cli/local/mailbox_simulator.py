"""The SES mailbox simulator, locally: mail to success@, bounce@, ooto@, complaint@ or
suppressionlist@simulator.amazonses.com produces the delivery events SES would publish (R26).

moto accepts the send but publishes nothing, and drops the message tags; so the send is watched
where moto answers it, and each simulated event is built in the shape EventBridge delivers from
SES (`detail` is SES's event record), to be handed to the real RecordDeliveryEvents handler.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from moto.sesv2.responses import SESV2Response

SIMULATOR_DOMAIN = "simulator.amazonses.com"
SUPPRESSED = "Amazon SES did not send the message to this address because it is on the suppression list"


def _bounce(address: str, sub_type: str, diagnostic: str) -> dict[str, Any]:
    return {
        "bounceType": "Permanent",
        "bounceSubType": sub_type,
        "bouncedRecipients": [
            {"emailAddress": address, "action": "failed", "status": "5.1.1", "diagnosticCode": diagnostic}
        ],
        "timestamp": _now(),
        "feedbackId": str(uuid.uuid4()),
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _delivery(address: str) -> tuple[str, str, dict[str, Any]]:
    return ("Email Delivered", "Delivery", {"delivery": {"timestamp": _now(), "recipients": [address]}})


def simulated_events(address: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(detail-type, eventType, the event's own object) for one simulator recipient, as SES sends them."""
    mailbox = address.partition("@")[0].partition("+")[0].lower()
    match mailbox:
        case "success" | "ooto":  # an out-of-office reply goes to the sender; SES reports a delivery
            return [_delivery(address)]
        case "bounce":
            bounce = _bounce(address, "General", "smtp; 550 5.1.1 user unknown")
            return [("Email Bounced", "Bounce", {"bounce": bounce})]
        case "suppressionlist":
            bounce = _bounce(address, "OnAccountSuppressionList", SUPPRESSED)
            return [("Email Bounced", "Bounce", {"bounce": bounce})]
        case "complaint":
            complaint = {
                "timestamp": _now(),
                "feedbackId": str(uuid.uuid4()),
                "complaintFeedbackType": "abuse",
            }
            return [_delivery(address), ("Email Complaint Received", "Complaint", {"complaint": complaint})]
    return []


class MailboxSimulator:
    """Collects the events of sends to simulator addresses until `drain` hands them out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []

    def observe(self, request: dict[str, Any], message_id: str) -> None:
        destination = request.get("Destination", {})
        recipients = [*destination.get("ToAddresses", []), *destination.get("CcAddresses", [])]
        tags = {tag["Name"]: [tag["Value"]] for tag in request.get("EmailTags", [])}
        mail = {"timestamp": _now(), "messageId": message_id, "destination": recipients, "tags": tags}
        events = [
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": detail_type,
                "source": "aws.ses",
                "time": _now(),
                "detail": {"eventType": event_type, "mail": mail, **body},
            }
            for address in recipients
            if address.lower().endswith("@" + SIMULATOR_DOMAIN)
            for detail_type, event_type, body in simulated_events(address)
        ]
        with self._lock:
            self._pending.extend(events)

    def offer_again(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append(event)

    def drain(self) -> list[dict[str, Any]]:
        with self._lock:
            events, self._pending = self._pending, []
        return events

    @contextlib.contextmanager
    def watching_sends(self) -> Iterator[None]:
        original = SESV2Response.send_email
        simulator = self

        def send_email(response: SESV2Response) -> str:
            answer = original(response)
            simulator.observe(json.loads(response.body), json.loads(answer)["MessageId"])
            return answer

        SESV2Response.send_email = send_email  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            SESV2Response.send_email = original  # type: ignore[method-assign]


def sqs_event(events: list[dict[str, Any]]) -> dict[str, Any]:
    """EventBridge -> SQS -> Lambda: each event is one SQS message body."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "local",
                "body": json.dumps(event),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:autodispatch-delivery-events",
                "awsRegion": "eu-north-1",
            }
            for event in events
        ]
    }
