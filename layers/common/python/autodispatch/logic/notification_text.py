"""The words of a tenant's notification (R21), in the tenant's language (fi, sv, en).

The email lists, per invoice, the customer and the total so the tenant recognises it, and the
detailed explanation: each channel tried and why it could not be used (R16). It has a plain-text
and an HTML part with the same content; the SMS is a short summary. Every word comes from the
catalogue (`autodispatch.i18n`): the frame and each invoice's stored explanation alike (R30).
"""

from dataclasses import dataclass
from html import escape

from autodispatch.i18n import format_amount, format_day, render
from autodispatch.models.enums import AutoDispatchState
from autodispatch.models.scenario import Tenant
from autodispatch.models.text import Text
from autodispatch.store.port import RunIssue, RunRef

# An SMS is a summary; the email carries every reason.
SMS_MAX_LENGTH = 320


@dataclass(frozen=True)
class NotificationEmail:
    subject: str
    text: str
    html: str


def headline(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> str:
    language = tenant.settings.language
    failed = sum(issue.state is AutoDispatchState.FAILED for issue in issues)
    ignored = sum(issue.state is AutoDispatchState.IGNORED for issue in issues)
    follow_ups = len(issues) - failed - ignored
    counts = [
        Text.of(code, count=count)
        for code, count in (
            ("notify.failed", failed),
            ("notify.ignored", ignored),
            ("notify.follow_ups", follow_ups),
        )
        if count
    ]
    return render(
        Text.of(
            "notify.subject",
            title=Text.of("notify.title"),
            date=format_day(run.run_date, language),
            tenant=tenant.name,
            counts=tuple(counts),
        ),
        language,
    )


def _invoice_line(issue: RunIssue, tenant: Tenant) -> str:
    """`Invoice 1005 (FAILED) – customer – 124,00 €`: what the tenant recognises it by."""
    language = tenant.settings.language
    state = render(Text.of(f"notify.state.{issue.state}"), language)
    parts = [f"{render(Text.of('notify.invoice'), language)} {issue.number} ({state})"]
    parts += [issue.customer_name] if issue.customer_name else []
    if issue.amount is not None:
        parts.append(format_amount(issue.amount, issue.currency or "EUR", language))
    return " – ".join(parts)


def _explanation(issue: RunIssue, tenant: Tenant) -> list[str]:
    """The detailed explanation: its first line is the one-line message, then each channel tried."""
    return render(issue.details or issue.message, tenant.settings.language).splitlines()


def compose_email(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> NotificationEmail:
    language = tenant.settings.language
    intro = render(Text.of("notify.intro", date=format_day(run.run_date, language)), language)
    advice = render(Text.of("notify.advice"), language)
    text = [intro, ""]
    html = [f"<p>{escape(intro)}</p>", "<ul>"]
    for issue in issues:
        explanation = _explanation(issue, tenant)
        line = _invoice_line(issue, tenant)
        text += [f"- {line}", *(f"    {words}" for words in explanation), ""]
        html += [
            f"<li><p><strong>{escape(line)}</strong></p>",
            "<p>" + "<br>".join(escape(line) for line in explanation) + "</p></li>",
        ]
    text.append(advice)
    html += ["</ul>", f"<p>{escape(advice)}</p>"]
    document = (
        f'<!DOCTYPE html><html lang="{tenant.settings.language}"><head><meta charset="utf-8"></head>'
        f"<body>{''.join(html)}</body></html>"
    )
    return NotificationEmail(subject=headline(tenant, issues, run), text="\n".join(text), html=document)


def compose_sms(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> str:
    numbers = ", ".join(issue.number for issue in issues)
    summary = Text.of("notify.sms", subject=headline(tenant, issues, run), numbers=numbers)
    text = render(summary, tenant.settings.language)
    return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"
