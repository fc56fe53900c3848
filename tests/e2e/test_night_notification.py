"""R21, R23: a night is one run however many executions start for it. Three executions of each of
ten nights started at once (`local run --concurrent-starts 3`) over two tenants with failures
every night, one invoice per batch so that executions running side by side would share them out:
each tenant with failures gets exactly one notification per night and channel, and it lists every
failure of that night; every invoice is sent once; the counts are per night."""

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

import notify_failures.handler as notify_handler
from autodispatch.logic import notification
from autodispatch.models.scenario import Invoice, Scenario
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.runtime import LocalAws

FIRST_NIGHT = date(2026, 3, 10)  # the night the demo's originals are due
NIGHTS = 10
STARTS = 3
# The demo's invoices of the first night, copied: kahvila's 1005 fails (R16), twice, and 1002 is
# sent by email; tilitoimisto's 503 fails (R12). Small, so that ten nights stay affordable.
ORIGINALS = {"k-1005": "FAILED", "k-1002": "SENT", "t-503": "FAILED"}
COPIES = {"k-1005": "ab", "k-1002": "a", "t-503": "a"}


def _copy(invoice: Invoice, night: int, copy: str) -> Invoice:
    """The invoice moved `night` days on, so that it is due on the first night plus `night`."""
    shift = timedelta(days=night)
    return invoice.model_copy(
        update={
            "invoice_id": f"{invoice.invoice_id}-{night:02d}{copy}",
            "number": f"{invoice.number}{night:02d}{copy}",
            "created_at": invoice.created_at + shift,
            "invoice_date": invoice.invoice_date + shift,
            "due_date": invoice.due_date + shift,
        }
    )


def test_r21_r23_concurrent_executions_of_a_night_notify_each_tenant_once_with_every_failure(
    demo_scenario: Scenario,
) -> None:
    originals = [invoice for invoice in demo_scenario.invoices if invoice.invoice_id in ORIGINALS]
    invoices = [
        _copy(invoice, night, copy)
        for night in range(NIGHTS)
        for invoice in originals
        for copy in COPIES[invoice.invoice_id]
    ]
    scenario = demo_scenario.model_copy(update={"invoices": invoices})
    dates = [FIRST_NIGHT + timedelta(days=night) for night in range(NIGHTS)]

    with LocalAws(batch_size=1) as local:
        report = run_scenario(scenario, dates, concurrent_starts=STARTS, local=local)

    states = {entry["invoice_id"]: entry["auto_dispatch"] for entry in report["invoices"]}
    assert states == {
        f"{invoice_id}-{night:02d}{copy}": state
        for night in range(NIGHTS)
        for invoice_id, state in ORIGINALS.items()
        for copy in COPIES[invoice_id]
    }
    # R23: every sent invoice reached its customer once.
    deliveries = Counter(d["invoice_id"] for d in report["deliveries"] if d["kind"] != "FACTORING")
    assert deliveries == Counter(f"k-1002-{night:02d}a" for night in range(NIGHTS))
    for night, run in enumerate(report["runs"]):
        assert [e["status"] for e in run["executions"]] == ["SUCCEEDED"] * STARTS
        assert (run["selected"], run["sent"], run["ignored"], run["failed"]) == (4, 1, 0, 3), run
        _assert_one_notification_listing_every_failure(report["notifications"], run["run_date"], night)


def _assert_one_notification_listing_every_failure(
    notifications: list[dict[str, Any]], run_date: str, night: int
) -> None:
    of_night = [n for n in notifications if n["run_date"] == run_date]
    assert Counter((n["tenant_id"], n["kind"]) for n in of_night) == {
        ("kahvila", "EMAIL"): 1,
        ("kahvila", "SMS"): 1,
        ("tilitoimisto", "EMAIL"): 1,
    }, of_night
    by_tenant = {n["tenant_id"]: n["body"] for n in of_night if n["kind"] == "EMAIL"}
    for copy in COPIES["k-1005"]:
        assert f"Invoice 1005{night:02d}{copy} (FAILED)" in by_tenant["kahvila"]
    assert f"Invoice 503{night:02d}a (FAILED)" in by_tenant["tilitoimisto"]


def test_r21_two_tenants_sharing_a_notification_phone_each_get_their_own_sms(demo_scenario: Scenario) -> None:
    """The report names the right tenant for each SMS: kahvila and tilitoimisto both fail an invoice
    and have the same notification phone, and each SMS is listed under its own tenant, naming that
    tenant's failed invoice."""
    phone = next(t.settings.notify_phone for t in demo_scenario.tenants if t.settings.notify_phone)
    tenants = [
        tenant.model_copy(update={"settings": tenant.settings.model_copy(update={"notify_phone": phone})})
        for tenant in demo_scenario.tenants
    ]
    originals = [i for i in demo_scenario.invoices if i.invoice_id in {"k-1005", "t-503"}]
    scenario = demo_scenario.model_copy(update={"tenants": tenants, "invoices": originals})

    with LocalAws() as local:
        report = run_scenario(scenario, [FIRST_NIGHT], local=local)

    texts = {n["tenant_id"]: n["body"] for n in report["notifications"] if n["kind"] == "SMS"}
    assert sorted(texts) == ["kahvila", "tilitoimisto"]
    assert [n["to"] for n in report["notifications"] if n["kind"] == "SMS"] == [phone, phone]
    assert "1005" in texts["kahvila"]
    assert "503" not in texts["kahvila"]
    assert "503" in texts["tilitoimisto"]
    assert "1005" not in texts["tilitoimisto"]


class ChunkDied(Exception):
    """What Step Functions sees when a chunk's function fails for good."""


def test_r21_r24_chunks_notify_side_by_side_and_one_failing_for_good_fails_the_run_not_the_others(
    demo_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk a tenant and two chunks at once (the Map's concurrency from the plan): kahvila's
    chunk fails for good, tilitoimisto's is notified all the same, and the run fails at its
    finish, naming the chunk, rather than end as if every tenant had been told (R24)."""
    monkeypatch.setattr(notification, "TENANTS_PER_CHUNK", 1)
    monkeypatch.setattr(notification, "MESSAGES_PER_SECOND_PER_CHUNK", 7.0)  # 14 emails/s: two at once
    plans: list[dict[str, Any]] = []

    def notify(event: dict[str, Any], context: Any) -> Any:
        if event["step"] == "chunk" and event["chunk"]["first_tenant"] == "kahvila":
            raise ChunkDied("the chunk cannot be notified")
        answer = notify_handler.handler(event, context)
        if event["step"] == "plan":
            plans.append(answer)
        return answer

    originals = [i for i in demo_scenario.invoices if i.invoice_id in {"k-1005", "t-503"}]
    scenario = demo_scenario.model_copy(update={"invoices": originals})
    with LocalAws(handlers={"NotifyFailures": notify}) as local:
        report = run_scenario(scenario, [FIRST_NIGHT], local=local)
        [execution] = report["runs"][0]["executions"]
        arn = f"{local.state_machine_arn.replace(':stateMachine:', ':execution:')}:{execution['name']}"
        failed = local.client("stepfunctions").describe_execution(executionArn=arn)

    # The finish step failed the run, once the Map had let every chunk end.
    assert failed["error"] == "NotificationsIncomplete"
    assert "1 of 2 notification chunk(s) failed after their retries (ChunkDied)" in failed["cause"]
    [plan] = plans
    assert [(c["first_tenant"], c["last_tenant"]) for c in plan["chunks"]] == [
        ("kahvila", "kahvila"),
        ("tilitoimisto", "tilitoimisto"),
    ]
    assert plan["concurrency"] == 2
    [run] = report["runs"]
    assert [e["status"] for e in run["executions"]] == ["FAILED"]
    assert {(n["tenant_id"], n["kind"]) for n in report["notifications"]} == {("tilitoimisto", "EMAIL")}
