"""R2: what activation needs, and whether a new invoice starts with automatic dispatch on."""

from datetime import datetime

from autodispatch.models.scenario import Settings


def activation_problems(settings: Settings) -> list[str]:
    """Why these settings cannot be activated; empty when they can (R2).

    Email and phone are already validated by the settings model, so a present value is valid.
    """
    problems = []
    if not settings.sources:
        problems.append("choose at least one invoice source")
    if not settings.channels:
        problems.append("choose at least one delivery channel")
    if settings.notify_email is None and settings.notify_phone is None:
        problems.append("give a notification email or phone (E.164)")
    return problems


def auto_dispatch_default(settings: Settings, created_at: datetime) -> bool:
    """R2: invoices created after activation are on by default; earlier unsent ones are off."""
    return settings.activated_at is None or created_at >= settings.activated_at
