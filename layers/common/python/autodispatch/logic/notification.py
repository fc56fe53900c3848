"""NotifyFailures: one email and/or SMS per tenant with FAILED or IGNORED invoices in a run (R21)."""

from collections import Counter, defaultdict
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.logic.notification_text import compose_email, compose_sms
from autodispatch.models.delivery_events import NOTIFICATION_KIND, email_tags
from autodispatch.models.scenario import Tenant
from autodispatch.notify.port import Notifier
from autodispatch.observability import logger, tracer
from autodispatch.store.port import NotificationStore, RunIssue, RunRef

EMAIL, SMS = "EMAIL", "SMS"


class NotificationSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenants_notified: int
    emails: int
    sms: int


@tracer.capture_method
def notify_failures(run: RunRef, store: NotificationStore, notifier: Notifier) -> NotificationSummary:
    """Each message is claimed before it is sent, so a retried step never sends it twice (R21);
    a send that certainly failed gives its claim back and the step is retried for it. One tenant's
    failing recipient never keeps the others from being notified (R24). Only the run that holds
    the night notifies (R21: every failure of the night is in its run); it then releases the night."""
    holder = store.night_holder(run.run_date)
    if holder not in (None, run.run_id):
        logger.info("another execution runs the night and notifies", extra={"held_by": holder})
        return NotificationSummary(tenants_notified=0, emails=0, sms=0)
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
                logger.warning(
                    "notification not sent",
                    extra=_ids(run, tenant_id, kind) | {"error_type": type(error).__name__},
                )
                continue
            except PermanentRejection as error:
                logger.error(
                    "notification rejected",
                    extra=_ids(run, tenant_id, kind) | {"error_type": type(error).__name__},
                )
                continue
            sent[kind] += 1
            notified.add(tenant_id)
    # A carried notice is done once its tenant's messages of this run are out (or given up).
    store.clear_notices([notice for notice in carried if notice.tenant_id not in retry])
    if retry:
        raise TransientError(f"notifications of {len(retry)} tenant(s) failed temporarily; left for a retry")
    store.release_night(run)
    return NotificationSummary(tenants_notified=len(notified), emails=sent[EMAIL], sms=sent[SMS])


def _ids(run: RunRef, tenant_id: str, kind: str) -> dict[str, str]:
    return {"run_id": run.run_id, "tenant_id": tenant_id, "kind": kind}


def _messages(
    tenant: Tenant, issues: list[RunIssue], run: RunRef, notifier: Notifier
) -> list[tuple[str, Callable[[], None]]]:
    """The tenant's notification messages (R21): an email and/or an SMS, by its settings."""
    settings = tenant.settings
    messages: list[tuple[str, Callable[[], None]]] = []
    if settings.notify_email:
        to, email = settings.notify_email, compose_email(tenant, issues, run)
        headers = {
            "X-Autodispatch-Tenant": tenant.tenant_id,
            "X-Autodispatch-Run-Date": run.run_date.isoformat(),
        }
        tags = email_tags(tenant.tenant_id, None, NOTIFICATION_KIND)
        messages.append(
            (
                EMAIL,
                lambda: notifier.send_email(to, email.subject, email.text, headers, tags, html=email.html),
            )
        )
    if settings.notify_phone:
        phone, text = settings.notify_phone, compose_sms(tenant, issues, run)
        messages.append((SMS, lambda: notifier.send_sms(phone, text)))
    return messages
