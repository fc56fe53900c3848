"""R21, R24: a run's notifications to its tenants, on the in-memory store (moved from moto)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.logic import notification
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.notification import notify_failures
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.port import RunRef
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.store import InMemoryInvoiceStore

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
    first = notify_failures(RUN, loaded, notifier)
    retried = notify_failures(RUN, loaded, notifier)
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
    assert notify_failures(RUN, loaded, notifier).tenants_notified == 0
    assert (notifier.emails, notifier.sms) == ([], [])


def test_r21_email_that_failed_temporarily_is_sent_once_by_the_retried_step(
    loaded: InMemoryInvoiceStore,
) -> None:
    dispatched(loaded, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", TransientError("throttled"))
    with pytest.raises(TransientError):
        notify_failures(RUN, loaded, notifier)
    notify_failures(RUN, loaded, notifier)
    assert sorted(to for to, _, _ in notifier.emails) == [
        "laskutus@kahvila-aurinko.fi",
        "toimisto@kuusi.example",
    ]
    assert len(notifier.sms) == 1  # the SMS went the first time and is not repeated


def test_r21_email_in_doubt_is_not_sent_again(loaded: InMemoryInvoiceStore) -> None:
    dispatched(loaded, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", TransientError("timed out", in_doubt=True))
    notify_failures(RUN, loaded, notifier)
    notify_failures(RUN, loaded, notifier)
    assert [to for to, _, _ in notifier.emails] == ["toimisto@kuusi.example"]


def test_r24_a_rejected_recipient_does_not_keep_other_tenants_from_their_notification(
    loaded: InMemoryInvoiceStore,
) -> None:
    dispatched(loaded, FAILING_KEYS)
    notifier = FlakyNotifier("laskutus@kahvila-aurinko.fi", PermanentRejection("MessageRejected"))
    summary = notify_failures(RUN, loaded, notifier)
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
        notify_failures(RUN, loaded, notifier, time_left=lambda: next(time_left))
    assert [to for to, _, _ in notifier.emails] == ["laskutus@kahvila-aurinko.fi"]
    retried = notify_failures(RUN, loaded, notifier)
    assert retried.tenants_notified == 1
    assert [to for to, _, _ in notifier.emails] == ["laskutus@kahvila-aurinko.fi", "toimisto@kuusi.example"]
    assert len(notifier.sms) == 1
    assert composed == ["kahvila", "tilitoimisto"]
