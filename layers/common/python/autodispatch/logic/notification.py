"""NotifyFailures: one email and/or SMS per tenant with FAILED or IGNORED invoices in a run (R21)."""

from collections import Counter, defaultdict
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.models.delivery_events import NOTIFICATION_KIND, email_tags
from autodispatch.models.enums import AutoDispatchState
from autodispatch.models.scenario import Tenant
from autodispatch.notify.port import Notifier
from autodispatch.observability import logger, tracer
from autodispatch.store.port import InvoiceStore, RunIssue, RunRef

EMAIL, SMS = "EMAIL", "SMS"
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
    """Each message is claimed before it is sent, so a retried step never sends it twice (R21);
    a send that certainly failed gives its claim back and the step is retried for it. One tenant's
    failing recipient never keeps the others from being notified (R24)."""
    by_tenant: dict[str, list[RunIssue]] = defaultdict(list)
    # What email feedback found since the last notification (R26) rides along with this run's.
    carried = store.notices()
    for issue in [*store.run_issues(run.run_id), *carried]:
        by_tenant[issue.tenant_id].append(issue)
    tenants = store.get_tenants(by_tenant)
    sent: Counter[str] = Counter()
    notified: set[str] = set()
    retry: set[str] = set()
    for tenant_id, issues in sorted(by_tenant.items()):
        tenant = tenants.get(tenant_id)
        if tenant is None:
            continue
        issues.sort(key=lambda issue: issue.number)
        for kind, send in _messages(tenant, issues, run, notifier):
            if not store.claim_notification(run.run_id, tenant_id, kind):
                continue
            try:
                send()
            except TransientError as error:
                if not error.in_doubt:
                    store.release_notification(run.run_id, tenant_id, kind)
                    retry.add(tenant_id)
                logger.warning("notification not sent", extra={"tenant_id": tenant_id, "kind": kind})
                continue
            except PermanentRejection:
                logger.error("notification rejected", extra={"tenant_id": tenant_id, "kind": kind})
                continue
            sent[kind] += 1
            notified.add(tenant_id)
    # A carried notice is done once its tenant's messages of this run are out (or given up).
    store.clear_notices([notice for notice in carried if notice.tenant_id not in retry])
    if retry:
        raise TransientError(f"notifications of {len(retry)} tenant(s) failed temporarily; left for a retry")
    return NotificationSummary(tenants_notified=len(notified), emails=sent[EMAIL], sms=sent[SMS])


def _messages(
    tenant: Tenant, issues: list[RunIssue], run: RunRef, notifier: Notifier
) -> list[tuple[str, Callable[[], None]]]:
    """The tenant's notification messages (R21): an email and/or an SMS, by its settings."""
    settings = tenant.settings
    messages: list[tuple[str, Callable[[], None]]] = []
    if settings.notify_email:
        to, (subject, body) = settings.notify_email, compose_email(tenant, issues, run)
        headers = {
            "X-Autodispatch-Tenant": tenant.tenant_id,
            "X-Autodispatch-Run-Date": run.run_date.isoformat(),
        }
        tags = email_tags(tenant.tenant_id, None, NOTIFICATION_KIND)
        messages.append((EMAIL, lambda: notifier.send_email(to, subject, body, headers, tags)))
    if settings.notify_phone:
        phone, text = settings.notify_phone, compose_sms(tenant, issues, run)
        messages.append((SMS, lambda: notifier.send_sms(phone, text)))
    return messages
