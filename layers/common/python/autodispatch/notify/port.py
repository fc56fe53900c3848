"""The notification port: one email or SMS to a tenant's notification recipient (R21)."""

from typing import Protocol


class Notifier(Protocol):
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
        """`body` is the plain text; `html`, when given, the same content as the alternative HTML
        part (multipart/alternative). `tags` are the SES message tags its delivery events come
        back with (R26)."""
        ...

    def send_sms(self, to: str, body: str) -> None: ...
