"""R21, R24: a run's notifications to its tenants, on the in-memory store (moved from moto)."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import NotificationsIncomplete, PermanentRejection, TransientError
from autodispatch.logic import notification
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.models.enums import AutoDispatchState
from autodispatch.models.limits import ID_MAX_BYTES
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import verbatim
from autodispatch.store.port import RunIssue, RunRef
from tests import builders
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.store import InMemoryInvoiceStore
from tests.notifications import notify_night

ZONE = ZoneInfo("Europe/Helsinki")
RUN = RunRef(run_id="night-a", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


FAILING_KEYS = [key("kahvila", "k-1005"), key("tilitoimisto", "t-501"), key("tilitoimisto", "t-503")]


def dispatched(store: InMemoryInvoiceStore, keys: list[InvoiceKey]) -> None:
    store.add_run(RUN, STARTED)
    BatchDispatcher(store, ScriptedDeliverer(), ZONE, timedelta(minutes=15), lambda: STARTED).dispatch(
        RUN, keys
    )


class FlakyNotifier(RecordingNotifier):
    """Fails the first email to one address, temporarily or for good."""

    def __init__(self, address: str, error: Exception) -> None:
        super().__init__()
        self.address, self.error, self.failed = address, error, False

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
        if to == self.address and not self.failed:
            self.failed = True
            raise self.error
        super().send_email(to, subject, body, headers, tags, html=html)


def test_r21_each_tenant_notified_once_even_when_the_step_is_retried(loaded: InMemoryInvoiceStore) -> None:
    dispatched(loaded, [*FAILING_KEYS, key("kahvila", "k-1001")])
    notifier = RecordingNotifier()
    first = notify_night(RUN, loaded, notifier)
    retried = notify_night(RUN, loaded, notifier)
    assert (first.tenants_notified, retried.tenants_notified) == (2, 0)
    assert sorted(to for to, _, _ in notifier.emails) == [
        "laskutus@kahvila-aurinko.fi",
        "toimisto@kuusi.example",
    ]
    # Only kahvila has a notification phone; its SMS names the one invoice that failed.
    assert notifier.sms == [
        (
            "+358401234567",
            "Automatic dispatch 10 Mar 2026 (Kahvila Aurinko Oy): 1 failed. Invoices: 1005. "
            "Details by email or in the invoice list.",
        )
    ]
    tilitoimisto = next(body for to, _, body in notifier.emails if to == "toimisto@kuusi.example")
    assert "501 (IGNORED)" in tilitoimisto
    assert "503 (FAILED)" in tilitoimisto


def test_r21_tenant_with_nothing_to_report_gets_nothing(loaded: InMemoryInvoiceStore) -> None:
    dispatched(loaded, [key("kahvila", "k-1001")])
    notifier = RecordingNotifier()
    assert notify_night(RUN, loaded, notifier).tenants_notified == 0
    assert (notifier.emails, notifier.sms) == ([], [])


def test_r21_email_that_failed_temporarily_is_sent_once_by_the_retried_step(
    loaded: InMemoryInvoiceStore,
) -> None:
    dispatched(loaded, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", TransientError("throttled"))
    with pytest.raises(TransientError):
        notify_night(RUN, loaded, notifier)
    notify_night(RUN, loaded, notifier)
    assert sorted(to for to, _, _ in notifier.emails) == [
        "laskutus@kahvila-aurinko.fi",
        "toimisto@kuusi.example",
    ]
    assert len(notifier.sms) == 1  # the SMS went the first time and is not repeated


def test_r21_email_in_doubt_is_not_sent_again(loaded: InMemoryInvoiceStore) -> None:
    dispatched(loaded, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", TransientError("timed out", in_doubt=True))
    notify_night(RUN, loaded, notifier)
    notify_night(RUN, loaded, notifier)
    assert [to for to, _, _ in notifier.emails] == ["toimisto@kuusi.example"]


def test_r24_a_rejected_recipient_does_not_keep_other_tenants_from_their_notification(
    loaded: InMemoryInvoiceStore,
) -> None:
    dispatched(loaded, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", PermanentRejection("MessageRejected"))
    summary = notify_night(RUN, loaded, notifier)
    assert [to for to, _, _ in notifier.emails] == ["toimisto@kuusi.example"]
    assert (summary.tenants_notified, summary.emails, summary.sms) == (2, 1, 1)


def test_r21_r24_notification_short_of_time_leaves_the_tenants_not_started_to_the_retried_step(
    loaded: InMemoryInvoiceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of tenants outlast one invocation: past its reserve it starts no further tenant,
    and the retried step notifies those, each tenant once, composing only what it sends."""
    dispatched(loaded, FAILING_KEYS)
    notifier = RecordingNotifier()
    composed: list[str] = []
    compose = notification.compose_email
    monkeypatch.setattr(
        notification,
        "compose_email",
        lambda tenant, issues, run: composed.append(tenant.tenant_id) or compose(tenant, issues, run),
    )
    # Enough time for the first tenant (kahvila, in tenant order), not for the second.
    time_left = iter([100.0, 10.0])
    with pytest.raises(TransientError):
        notify_night(RUN, loaded, notifier, time_left=lambda: next(time_left))
    assert [to for to, _, _ in notifier.emails] == ["laskutus@kahvila-aurinko.fi"]
    retried = notify_night(RUN, loaded, notifier)
    assert retried.tenants_notified == 1
    assert [to for to, _, _ in notifier.emails] == ["laskutus@kahvila-aurinko.fi", "toimisto@kuusi.example"]
    assert len(notifier.sms) == 1
    assert composed == ["kahvila", "tilitoimisto"]


def _issue(tenant_id: str, n: int) -> RunIssue:
    return RunIssue(
        tenant_id=tenant_id,
        invoice_id=f"inv-{n}",
        number=str(1000 + n),
        state=AutoDispatchState.FAILED,
        message=verbatim("failed"),
    )


def _night_of(tenant_ids: list[str], issues_each: int = 2) -> InMemoryInvoiceStore:
    store = InMemoryInvoiceStore()
    for tenant_id in tenant_ids:
        store.put_tenant(
            builders.tenant(tenant_id=tenant_id, settings={"notify_email": f"{tenant_id}@x.example"})
        )
    store.add_run_issues(RUN, [_issue(t, n) for t in tenant_ids for n in range(issues_each)])
    return store


def test_r21_the_plan_lists_every_tenant_with_issues_or_notices_once_in_chunks_of_a_hundred() -> None:
    tenant_ids = [f"t{n:03d}" for n in range(250)]
    store = _night_of(tenant_ids)
    store.add_notice(_issue("zz-bounced", 9))  # R26: email feedback since the last notification
    plan = notification.plan_notifications(RUN, store, ses_send_rate=14.0)
    assert [(c.first_tenant, c.last_tenant, c.tenants) for c in plan.chunks] == [
        ("t000", "t099", 100),
        ("t100", "t199", 100),
        ("t200", "zz-bounced", 51),
    ]
    assert (plan.tenants, plan.issues, plan.concurrency) == (251, 501, 1)


def test_r21_past_the_most_chunks_a_plan_holds_its_chunks_grow_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notification, "MAX_CHUNKS", 2)
    store = _night_of([f"t{n:03d}" for n in range(250)])
    plan = notification.plan_notifications(RUN, store, ses_send_rate=14.0)
    assert [c.tenants for c in plan.chunks] == [125, 125]


def test_r21_the_largest_plan_and_its_results_stay_far_inside_a_state_s_256_kb() -> None:
    longest = "ä" * (ID_MAX_BYTES // 2)  # 64 bytes of UTF-8
    chunk = notification.TenantChunk(first_tenant=longest, last_tenant=longest, tenants=10**6)
    plan = notification.NotificationPlan(
        chunks=[chunk] * notification.MAX_CHUNKS, tenants=10**9, issues=10**9, concurrency=1
    )
    result = notification.ChunkResult(tenants_notified=10**6, emails=10**6, sms=10**6, error="States.Timeout")
    state = {
        "notification_plan": plan.model_dump(mode="json"),
        "notified": [result.model_dump(mode="json")] * notification.MAX_CHUNKS,
    }
    assert len(json.dumps(state, ensure_ascii=False).encode()) < 256_000 * 0.6


def test_r21_each_chunk_notifies_only_its_own_tenants_and_carries_only_their_notices() -> None:
    store = _night_of([f"t{n:03d}" for n in range(150)])
    store.add_notice(_issue("t120", 7))
    store.add_notice(_issue("t005", 8))
    plan = notification.plan_notifications(RUN, store, ses_send_rate=14.0)
    notifier = RecordingNotifier()
    second = notification.notify_chunk(RUN, plan.chunks[1], store, notifier)
    assert second == notification.NotificationSummary(tenants_notified=50, emails=50, sms=0)
    assert sorted(to for to, _, _ in notifier.emails) == [f"t{n:03d}@x.example" for n in range(100, 150)]
    t120 = next(body for to, _, body in notifier.emails if to == "t120@x.example")
    assert "1007" in t120  # the notice rode along with t120's own issues
    assert [notice.tenant_id for notice in store.notices()] == ["t005"]  # the first chunk's, still there


def test_r21_r24_a_chunk_failed_for_good_fails_the_run_and_keeps_the_night_held() -> None:
    store = _night_of(["a", "b"])
    store.hold_night(RUN, STARTED + timedelta(hours=23), STARTED)
    done = notification.ChunkResult(tenants_notified=100, emails=100, sms=40)
    with pytest.raises(NotificationsIncomplete, match="1 of 2 notification chunk"):
        notification.finish_notifications(
            RUN, [done, notification.ChunkResult(error="TransientError")], store
        )
    assert store.hold_night(RunRef(run_id="catch-up", run_date=RUN.run_date), STARTED, STARTED) == RUN.run_id
    summary = notification.finish_notifications(RUN, [done, done], store)
    assert summary == notification.NotificationSummary(tenants_notified=200, emails=200, sms=80)
    assert store.hold_night(RunRef(run_id="catch-up", run_date=RUN.run_date), STARTED, STARTED) is None


def test_r21_another_execution_holding_the_night_plans_nothing() -> None:
    store = _night_of(["a"])
    store.hold_night(RunRef(run_id="other", run_date=RUN.run_date), STARTED + timedelta(hours=23), STARTED)
    assert notification.plan_notifications(RUN, store, ses_send_rate=14.0).chunks == []


@pytest.mark.parametrize(("ses_send_rate", "concurrency"), [(1.0, 1), (14.0, 1), (20.0, 2), (100.0, 2)])
def test_r21_chunks_notify_at_once_only_as_many_as_the_ses_and_sms_rates_allow(
    ses_send_rate: float, concurrency: int
) -> None:
    """About ten emails and ten SMS a second a chunk: 14 emails/s allow one, and SNS's 20 SMS/s
    allow two however high the SES quota."""
    assert notification.chunk_concurrency(ses_send_rate) == concurrency
