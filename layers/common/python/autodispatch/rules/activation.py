"""R2: what activation needs, and whether a new invoice starts with automatic dispatch on."""

from datetime import datetime

from autodispatch.errors import FieldIssue
from autodispatch.models.scenario import Settings
from autodispatch.models.text import Text


def activation_issues(settings: Settings) -> list[FieldIssue]:
    """Why these settings cannot be activated, each with the setting it is about; empty when they
    can (R2). Email and phone are already validated by the settings model, so a present value is valid.
    """
    issues = []
    if not settings.sources:
        issues.append(FieldIssue.said("sources", Text.of("activation.no_source")))
    if not settings.channels:
        issues.append(FieldIssue.said("channels", Text.of("activation.no_channel")))
    if settings.notify_email is None and settings.notify_phone is None:
        issues.append(FieldIssue.said("notify_email", Text.of("activation.no_recipient")))
    return issues


def activation_problems(settings: Settings) -> list[str]:
    """The messages of `activation_issues`."""
    return [issue.message for issue in activation_issues(settings)]


def auto_dispatch_default(settings: Settings, created_at: datetime) -> bool:
    """R2: invoices created after activation are on by default; earlier unsent ones are off."""
    return settings.activated_at is None or created_at >= settings.activated_at
