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
# Seconds of the invocation left below which no further tenant is started: one tenant's claims and
# sends at their SDK timeouts. The rest is left to the retried step.
RESERVE_SECONDS = 30.0


def unlimited() -> float:
    return float("inf")


class NotificationSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenants_notified: int
    emails: int
    sms: int


@tracer.capture_method
def notify_failures(
    run: RunRef,
    store: NotificationStore,
    notifier: Notifier,
    time_left: Callable[[], float] = unlimited,
) -> NotificationSummary:
    """Each message is claimed before it is sent, so a retried step never sends it twice (R21);
    a send that certainly failed gives its claim back and the step is retried for it. One tenant's
    failing recipient never keeps the others from being notified (R24). Only the run that holds
    the night notifies (R21: every failure of the night is in its run); it then releases the night.
    When the invocation's time runs short (thousands of tenants at the SES send rate), the tenants
    not yet started are left to the retried step, as a failed send is."""
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
        if time_left() < RESERVE_SECONDS:
            retry.add(tenant_id)
            continue
        issues.sort(key=lambda issue: issue.number)
        for kind, compose in _messages(tenant, issues, run, notifier):
            if not store.claim_notification(run.run_id, tenant_id, kind):
                continue
            try:
                send = compose()
            except Exception:
                # Nothing was sent: the claim goes back, and the step fails for this message.
                store.release_notification(run.run_id, tenant_id, kind)
                raise
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
        raise TransientError(
            f"notifications of {len(retry)} tenant(s) not sent yet (a temporary failure or the time left); "
            "left for a retry"
        )
    store.release_night(run)
    return NotificationSummary(tenants_notified=len(notified), emails=sent[EMAIL], sms=sent[SMS])


Send = Callable[[], None]


def _messages(
    tenant: Tenant, issues: list[RunIssue], run: RunRef, notifier: Notifier
) -> list[tuple[str, Callable[[], Send]]]:
    """The tenant's notification messages (R21): an email and/or an SMS, by its settings, each
    composed only once it is claimed, so a retried step passes over the messages sent already
    without composing them again."""
    settings = tenant.settings
    messages: list[tuple[str, Callable[[], Send]]] = []
    if settings.notify_email:
        to = settings.notify_email
        headers = {
            "X-Autodispatch-Tenant": tenant.tenant_id,
            "X-Autodispatch-Run-Date": run.run_date.isoformat(),
        }
        tags = email_tags(tenant.tenant_id, None, NOTIFICATION_KIND)

        def email() -> Send:
            composed = compose_email(tenant, issues, run)
            return lambda: notifier.send_email(
                to, composed.subject, composed.text, headers, tags, html=composed.html
            )

        messages.append((EMAIL, email))
    if settings.notify_phone:
        phone = settings.notify_phone

        def sms() -> Send:
            text = compose_sms(tenant, issues, run)
            return lambda: notifier.send_sms(phone, text)

        messages.append((SMS, sms))
    return messages
