"""The notification port: one email or SMS to a tenant's notification recipient (R21)."""

from typing import Protocol


class Notifier(Protocol):
    def send_email(self, to: str, subject: str, body: str, headers: dict[str, str]) -> None: ...

    def send_sms(self, to: str, body: str) -> None: ...
