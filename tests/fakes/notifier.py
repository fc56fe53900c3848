"""A Notifier that records what the notification use case hands it (R21)."""


class RecordingNotifier:
    """Implements `autodispatch.notify.port.Notifier`."""

    def __init__(self) -> None:
        self.emails: list[tuple[str, str, str]] = []  # (to, subject, plain-text body)
        self.sms: list[tuple[str, str]] = []

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
        self.emails.append((to, subject, body))

    def send_sms(self, to: str, body: str) -> None:
        self.sms.append((to, body))
