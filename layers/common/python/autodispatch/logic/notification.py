"""NotifyFailures: one email and/or SMS per tenant with FAILED or IGNORED invoices in a run (R21)."""

from collections import defaultdict

from pydantic import BaseModel, ConfigDict

from autodispatch.models.enums import AutoDispatchState
from autodispatch.models.scenario import Tenant
from autodispatch.notify.port import Notifier
from autodispatch.observability import logger, tracer
from autodispatch.store.port import InvoiceStore, RunIssue, RunRef

# An SMS is a summary; the email carries every reason.
SMS_MAX_LENGTH = 320


class NotificationSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenants_notified: int
    emails: int
    sms: int


def _headline(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> str:
    failed = sum(issue.state is AutoDispatchState.FAILED for issue in issues)
    ignored = sum(issue.state is AutoDispatchState.IGNORED for issue in issues)
    follow_ups = len(issues) - failed - ignored
    parts = [f"{failed} failed"] if failed else []
    parts += [f"{ignored} ignored"] if ignored else []
    parts += [f"{follow_ups} follow-up message(s) failed"] if follow_ups else []
    return f"Automatic dispatch {run.run_date.isoformat()} ({tenant.name}): {', '.join(parts)}"


def compose_email(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> tuple[str, str]:
    """Subject and body: every invoice with its one-line message."""
    lines = [
        f"Automatic dispatch of the night {run.run_date.isoformat()} could not send every invoice.",
        "",
        *(f"- Invoice {issue.number} ({issue.state}): {issue.message}" for issue in issues),
        "",
        "Correct each invoice or customer and send it manually; automatic dispatch does not retry them.",
    ]
    return _headline(tenant, issues, run), "\n".join(lines)


def compose_sms(tenant: Tenant, issues: list[RunIssue], run: RunRef) -> str:
    numbers = ", ".join(issue.number for issue in issues)
    text = f"{_headline(tenant, issues, run)}. Invoices: {numbers}. Details by email or in the invoice list."
    return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"


@tracer.capture_method
def notify_failures(run: RunRef, store: InvoiceStore, notifier: Notifier) -> NotificationSummary:
    by_tenant: dict[str, list[RunIssue]] = defaultdict(list)
    for issue in store.run_issues(run.run_id):
        by_tenant[issue.tenant_id].append(issue)
    tenants = store.get_tenants(by_tenant)
    emails = sms = notified = 0
    for tenant_id, issues in sorted(by_tenant.items()):
        tenant = tenants.get(tenant_id)
        if tenant is None:
            continue
        # Claimed before sending: a retried step never notifies a tenant twice (at most once).
        if not store.claim_notification(run.run_id, tenant_id):
            continue
        issues.sort(key=lambda issue: issue.number)
        logger.info("notifying tenant", extra={"tenant_id": tenant_id, "invoices": len(issues)})
        settings = tenant.settings
        if settings.notify_email:
            subject, body = compose_email(tenant, issues, run)
            notifier.send_email(
                settings.notify_email,
                subject,
                body,
                {"X-Autodispatch-Tenant": tenant_id, "X-Autodispatch-Run-Date": run.run_date.isoformat()},
            )
            emails += 1
        if settings.notify_phone:
            notifier.send_sms(settings.notify_phone, compose_sms(tenant, issues, run))
            sms += 1
        notified += 1
    return NotificationSummary(tenants_notified=notified, emails=emails, sms=sms)
