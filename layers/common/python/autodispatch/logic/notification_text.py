"""The words of a tenant's notification (R21), in the tenant's language (fi, sv, en).

The email lists, per invoice, the customer and the total so the tenant recognises it, and the
detailed explanation: each channel tried and why it could not be used (R16). It has a plain-text
and an HTML part with the same content; the SMS is a short summary. The explanations themselves
come from the rules in English; the frame around them is translated.
"""

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from autodispatch.models.enums import AutoDispatchState, Language
from autodispatch.models.scenario import Tenant
from autodispatch.store.port import RunIssue, RunRef

# An SMS is a summary; the email carries every reason.
SMS_MAX_LENGTH = 320


@dataclass(frozen=True)
class Words:
    title: str
    invoice: str
    failed: str
    ignored: str
    follow_ups: str
    intro: str
    advice: str
    sms_invoices: str
    sms_more: str
    states: dict[AutoDispatchState, str]
    decimal_comma: bool


WORDS = {
    Language.EN: Words(
        title="Automatic dispatch",
        invoice="Invoice",
        failed="failed",
        ignored="ignored",
        follow_ups="follow-up message(s) failed",
        intro="Automatic dispatch of the night {date} could not send every invoice.",
        advice=(
            "Correct each invoice or customer and send it manually; automatic dispatch does not retry them."
        ),
        sms_invoices="Invoices",
        sms_more="Details by email or in the invoice list.",
        states={
            AutoDispatchState.FAILED: "FAILED",
            AutoDispatchState.IGNORED: "IGNORED",
            AutoDispatchState.SENT: "SENT, follow-up failed",
        },
        decimal_comma=False,
    ),
    Language.FI: Words(
        title="Automaattinen lähetys",
        invoice="Lasku",
        failed="epäonnistui",
        ignored="ohitettiin",
        follow_ups="jatkoviesti(ä) epäonnistui",
        intro="Yön {date} automaattinen lähetys ei voinut lähettää kaikkia laskuja.",
        advice=(
            "Korjaa lasku tai asiakkaan tiedot ja lähetä lasku käsin; automaattinen lähetys ei yritä "
            "uudelleen."
        ),
        sms_invoices="Laskut",
        sms_more="Tiedot sähköpostissa ja laskulistassa.",
        states={
            AutoDispatchState.FAILED: "EPÄONNISTUI",
            AutoDispatchState.IGNORED: "OHITETTU",
            AutoDispatchState.SENT: "LÄHETETTY, jatkoviesti epäonnistui",
        },
        decimal_comma=True,
    ),
    Language.SV: Words(
        title="Automatisk sändning",
        invoice="Faktura",
        failed="misslyckades",
        ignored="ignorerades",
        follow_ups="uppföljande meddelande(n) misslyckades",
        intro="Den automatiska sändningen natten {date} kunde inte skicka alla fakturor.",
        advice="Korrigera fakturan eller kunduppgifterna och skicka fakturan manuellt; den automatiska "
        "sändningen försöker inte igen.",
        sms_invoices="Fakturor",
        sms_more="Detaljer per e-post och i fakturalistan.",
        states={
            AutoDispatchState.FAILED: "MISSLYCKADES",
            AutoDispatchState.IGNORED: "IGNORERAD",
            AutoDispatchState.SENT: "SKICKAD, uppföljning misslyckades",
        },
        decimal_comma=True,
    ),
}


@dataclass(frozen=True)
class NotificationEmail:
    subject: str
    text: str
    html: str


def _words(tenant: Tenant) -> Words:
    return WORDS[tenant.settings.language]


def _amount(value: Decimal, currency: str | None, words: Words) -> str:
    text = f"{value:,.2f}"
    if words.decimal_comma:
        text = text.replace(",", "\u00a0").replace(".", ",")
    return f"{text} {currency or ''}".strip()


def headline(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> str:
    words = _words(tenant)
    failed = sum(issue.state is AutoDispatchState.FAILED for issue in issues)
    ignored = sum(issue.state is AutoDispatchState.IGNORED for issue in issues)
    follow_ups = len(issues) - failed - ignored
    parts = [f"{failed} {words.failed}"] if failed else []
    parts += [f"{ignored} {words.ignored}"] if ignored else []
    parts += [f"{follow_ups} {words.follow_ups}"] if follow_ups else []
    return f"{words.title} {run.run_date.isoformat()} ({tenant.name}): {', '.join(parts)}"


def _invoice_line(issue: RunIssue, words: Words) -> str:
    """`Invoice 1005 (FAILED) – customer – 124,00 EUR`: what the tenant recognises it by."""
    parts = [f"{words.invoice} {issue.number} ({words.states[issue.state]})"]
    parts += [issue.customer_name] if issue.customer_name else []
    parts += [_amount(issue.amount, issue.currency, words)] if issue.amount is not None else []
    return " – ".join(parts)


def _explanation(issue: RunIssue) -> list[str]:
    """The detailed explanation: its first line is the one-line message, then each channel tried."""
    return (issue.details or issue.message).splitlines()


def compose_email(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> NotificationEmail:
    words = _words(tenant)
    intro = words.intro.format(date=run.run_date.isoformat())
    text = [intro, ""]
    html = [f"<p>{escape(intro)}</p>", "<ul>"]
    for issue in issues:
        explanation = _explanation(issue)
        text += [f"- {_invoice_line(issue, words)}", *(f"    {line}" for line in explanation), ""]
        html += [
            f"<li><p><strong>{escape(_invoice_line(issue, words))}</strong></p>",
            "<p>" + "<br>".join(escape(line) for line in explanation) + "</p></li>",
        ]
    text.append(words.advice)
    html += ["</ul>", f"<p>{escape(words.advice)}</p>"]
    document = (
        f'<!DOCTYPE html><html lang="{tenant.settings.language}"><head><meta charset="utf-8"></head>'
        f"<body>{''.join(html)}</body></html>"
    )
    return NotificationEmail(subject=headline(tenant, issues, run), text="\n".join(text), html=document)


def compose_sms(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> str:
    words = _words(tenant)
    numbers = ", ".join(issue.number for issue in issues)
    text = f"{headline(tenant, issues, run)}. {words.sms_invoices}: {numbers}. {words.sms_more}"
    return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"
