"""NotifyFailures: one email and/or SMS per tenant with FAILED or IGNORED invoices in a run (R21).

Fanned out over the state machine's Map: a plan lists the tenants to notify in chunks (from the
keys of the run's issues), each chunk is notified in its own invocation, and a last step checks
that every chunk finished before it releases the night. A night of 10,000 tenants is then a hundred
short invocations, not one that would run out of time (README, "A notification night at scale")."""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import NotificationsIncomplete, PermanentRejection, TransientError
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
# A chunk: ~10 s of one invocation at ~0.1 s a tenant, so a retry repeats little. The plan holds at
# most MAX_CHUNKS (the Map's items and results stay far inside a state's 256 KB); past
# TENANTS_PER_CHUNK x MAX_CHUNKS tenants the chunks grow instead, and each one's time guard and
# retries carry what its invocation cannot.
TENANTS_PER_CHUNK = 100
MAX_CHUNKS = 500
# A chunk sends one email and one SMS a tenant at ~0.1 s a tenant in Lambda (one vCPU): about ten of
# each a second (benchmarks/notify.py measures it). SNS allows 20 SMS a second by default.
MESSAGES_PER_SECOND_PER_CHUNK = 10.0
SNS_SMS_PER_SECOND = 20.0


def unlimited() -> float:
    return float("inf")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class NotificationSummary(_Frozen):
    tenants_notified: int
    emails: int
    sms: int


class TenantChunk(_Frozen):
    """The tenants whose ids run from `first_tenant` to `last_tenant` (both included), in id order."""

    first_tenant: str
    last_tenant: str
    tenants: int

    def holds(self, tenant_id: str) -> bool:
        return self.first_tenant <= tenant_id <= self.last_tenant


class NotificationPlan(_Frozen):
    chunks: list[TenantChunk]
    tenants: int
    issues: int
    # The Map's MaxConcurrency (chunk_concurrency).
    concurrency: int


def chunk_concurrency(ses_send_rate: float) -> int:
    """How many chunks notify at once: as many as keep their emails within the account's SES rate
    and their SMS within SNS's, never a function sleeping to pace them (as the dispatch Map's)."""
    return max(1, math.floor(min(ses_send_rate, SNS_SMS_PER_SECOND) / MESSAGES_PER_SECOND_PER_CHUNK))


class ChunkResult(_Frozen):
    """What the Map gives back for a chunk: its summary, or the error it failed with for good."""

    tenants_notified: int = 0
    emails: int = 0
    sms: int = 0
    error: str | None = None


@tracer.capture_method
def plan_notifications(run: RunRef, store: NotificationStore, ses_send_rate: float) -> NotificationPlan:
    """The tenants with issues in this run or notices carried from email feedback (R26), in chunks.
    Only the run that holds the night notifies (R21: every failure of the night is in its run)."""
    holder = store.night_holder(run.run_date)
    if holder not in (None, run.run_id):
        logger.info("another execution runs the night and notifies", extra={"held_by": holder})
        return NotificationPlan(chunks=[], tenants=0, issues=0, concurrency=1)
    issues: Counter[str] = Counter(dict(store.run_issue_tenants(run.run_id)))
    issues.update(notice.tenant_id for notice in store.notices())
    tenants = sorted(issues)
    size = max(TENANTS_PER_CHUNK, math.ceil(len(tenants) / MAX_CHUNKS))
    chunks = [
        TenantChunk(first_tenant=ids[0], last_tenant=ids[-1], tenants=len(ids))
        for ids in (tenants[start : start + size] for start in range(0, len(tenants), size))
    ]
    return NotificationPlan(
        chunks=chunks,
        tenants=len(tenants),
        issues=issues.total(),
        concurrency=chunk_concurrency(ses_send_rate),
    )


@tracer.capture_method
def notify_chunk(
    run: RunRef,
    chunk: TenantChunk,
    store: NotificationStore,
    notifier: Notifier,
    time_left: Callable[[], float] = unlimited,
) -> NotificationSummary:
    """Each message is claimed before it is sent, so a retried chunk never sends it twice (R21);
    a send that certainly failed gives its claim back and the chunk is retried for it. One tenant's
    failing recipient never keeps the others from being notified (R24). When the invocation's time
    runs short, the tenants not yet started are left to the retried chunk, as a failed send is."""
    by_tenant: dict[str, list[RunIssue]] = defaultdict(list)
    # What email feedback found since the last notification (R26) rides along with this run's.
    carried = [notice for notice in store.notices() if chunk.holds(notice.tenant_id)]
    for issue in [*store.tenant_run_issues(run.run_id, chunk.first_tenant, chunk.last_tenant), *carried]:
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
                # Nothing was sent: the claim goes back, and the chunk fails for this message.
                store.release_notification(run.run_id, tenant_id, kind)
                raise
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
        raise TransientError(
            f"notifications of {len(retry)} tenant(s) not sent yet (a temporary failure or the time left); "
            "left for a retry"
        )
    return NotificationSummary(tenants_notified=len(notified), emails=sent[EMAIL], sms=sent[SMS])


def finish_notifications(
    run: RunRef, results: Sequence[ChunkResult], store: NotificationStore
) -> NotificationSummary:
    """Every chunk notified: the run has finished its night, which a later execution may then hold
    (R21). A chunk that failed for good (its retries spent) fails the run, and the night stays held
    until its lease ends, as when the one notification step failed."""
    failed = [result.error for result in results if result.error is not None]
    if failed:
        raise NotificationsIncomplete(
            f"{len(failed)} of {len(results)} notification chunk(s) failed after their retries "
            f"({', '.join(sorted(set(failed)))}); the tenants of the others were notified"
        )
    store.release_night(run)
    return NotificationSummary(
        tenants_notified=sum(result.tenants_notified for result in results),
        emails=sum(result.emails for result in results),
        sms=sum(result.sms for result in results),
    )


def _ids(run: RunRef, tenant_id: str, kind: str) -> dict[str, str]:
    return {"run_id": run.run_id, "tenant_id": tenant_id, "kind": kind}


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
