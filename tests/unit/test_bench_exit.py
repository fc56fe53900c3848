"""`make bench` fails when the measured night did not succeed: figures of an unfinished run are wrong."""

import json
import math
from typing import Any

import pytest

import benchmarks.__main__ as bench
from benchmarks import cost, render, requests
from tests.bench_process import run_bench

# A night of 1,000 invoices: 10 batches, 330 emails, 670 documents posted.
NIGHT: dict[str, Any] = {
    "invoices": 1000,
    "sent": 1000,
    "batches": 10,
    "emails": 330,
    "email_events": 330,
    "document_posts": 670,
    "requests": {"s3.PutObject": 11, "s3.GetObject": 1},
    "dynamodb_table_write_units": {"DispatchInvoice": 2000, "RecordDeliveryEvents": 330},
    "dynamodb_index_write_units": 1000,
    "dynamodb_read_units": 2000,
    # (function, wall-clock here, CPU, round trips, moto answering, waiting for a core)
    "lambda_durations": [
        ("SelectInvoices", 2.3, 0.5, 0.0, 0.5, 1.0),
        *[("DispatchInvoice", 30.0, 2.0, 1.0, 5.0, 20.0)] * 10,
        ("NotifyFailures", 1.0, 0.1, 0.0, 0.2, 0.9),
    ],
}


def _bench_with_night(monkeypatch: pytest.MonkeyPatch, **night: Any) -> None:
    monkeypatch.setattr(render, "run", lambda: {})
    nights = {name: {**NIGHT, "configuration": name, **night} for name in ("http", "s3_outbox")}
    monkeypatch.setattr(requests, "run", lambda *_: nights)
    monkeypatch.setattr(bench.sys, "argv", ["benchmarks"])
    bench.main()


@pytest.mark.parametrize("status", [["RUNNING"], ["FAILED"], ["TIMED_OUT"], []])
def test_bench_exits_non_zero_when_the_night_did_not_succeed(
    monkeypatch: pytest.MonkeyPatch, status: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _bench_with_night(monkeypatch, status=status)
    assert exit_.value.code != 0


def test_bench_exits_non_zero_when_an_invoice_was_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exit_:
        _bench_with_night(monkeypatch, status=["SUCCEEDED"], sent=999)
    assert exit_.value.code != 0


def test_bench_bills_a_succeeded_night_as_aws_bills_and_fails_over_its_target(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """Write units of table, index and feedback; Lambda on its measured wall-clock at its memory
    (less the waits for a core of this machine and moto's answers, its CPU stretched to the vCPU
    share, plus the round trips and the documents' posts shared by the dispatches); one Standard
    transition per child besides the run's own; Express per child and for its duration. The last
    line is the deployed default's: the table on demand by day and provisioned for the night."""
    with pytest.raises(SystemExit) as exit_:
        _bench_with_night(monkeypatch, status=["SUCCEEDED"])
    assert exit_.value.code != 0  # over 3.00
    lines = capsys.readouterr().out.splitlines()
    last = lines[-1]
    gb_second = 0.0000133334
    # Own wall-clock (30 - 20 - 5), the CPU stretched to its share, round trips, 67 posts.
    dispatch_seconds = 5.0 + 2.0 * (1769 / 512 - 1) + 1.0 + 67 * 0.1
    dispatch = 10 * (0.2e-6 + round(dispatch_seconds, 3) * 0.5 * gb_second)
    # Selection at one vCPU (1,769 MB) waited 0.3 s besides its 0.5 s of CPU (2.3 - 1 - 0.5);
    # notification at 512 MB only computed (its own wall-clock, 1 - 0.9 - 0.2, is less than its
    # CPU). Their durations scale with the night, their requests do not.
    per_night = 2 * 0.2e-6 + (0.8 * 1769 / 1024 + 0.1 / (512 / 1769) * 0.5) * gb_second
    dynamodb = (2000 + 1000 + 330) * 0.625e-6 + 2000 * 0.125e-6
    s3 = 11 * 0.005 / 1000 + 0.0004 / 1000
    express = 10 * 1e-6 + 10 * (math.ceil(dispatch_seconds * 10) / 10) * 64 / 1024 * 0.00001667
    sqs = 330 * 1.2 * 0.4e-6
    scale = 1000
    total = (
        (dispatch + dynamodb + s3 + express + sqs) * scale
        + (per_night - 2 * 0.2e-6) * scale
        + 2 * 0.2e-6
        + (5 + 10 * scale) * 0.025 / 1000
    )
    (on_demand,) = [line for line in lines if line.startswith("total, on demand")]
    assert on_demand.split()[3] == f"{total:.2f}"
    # tableCapacity=night: the night's units at 70 % use, and the index's 250 read units for 8 hours.
    night_dynamodb = ((2000 + 1000 + 330) * 0.00065 + 2000 * 0.00013) / (
        0.7 * 3600
    ) * scale + 250 * 8 * 0.00013
    assert last == f"infra_usd_per_million_invoices={total - dynamodb * scale + night_dynamodb:.2f}"


def test_a_dispatch_on_several_threads_is_billed_from_its_threads_side_by_side() -> None:
    """Cost (issue 23): one invoice's waits overlap another's CPU; the vCPU share is never exceeded."""
    invoice = [(True, 0.04), (False, 0.1)]  # 40 ms of CPU on a full core, then 100 ms of waiting
    share = 512 / 1769
    one_by_one = cost.overlapped_seconds([invoice * 2], share)
    assert one_by_one == pytest.approx(2 * (0.04 / share + 0.1))
    # Two workers: both compute at half the share each, then wait together.
    assert cost.overlapped_seconds([invoice, invoice], share) == pytest.approx(2 * 0.04 / share + 0.1)
    # Three workers take at least their CPU at the share, and less than one after the other.
    many = cost.overlapped_seconds([invoice * 10] * 3, share)
    assert 30 * 0.04 / share <= many < 30 * (0.04 / share + 0.1)
    # A full vCPU is shared by the threads on it; a wait passes beside them.
    assert cost.overlapped_seconds([[(True, 1.0)], [(True, 1.0)], [(False, 1.5)]], 1.0) == pytest.approx(2.0)
    threaded = cost.Invocation("DispatchInvoice", 30.0, 2.0, 1.0, 5.0, 20.0, threads=4, modelled=3.5)
    assert cost.lambda_seconds(threaded, posting=9.0) == cost.estimated_seconds(threaded) == 3.5


def test_dynamodb_item_size_and_write_units() -> None:
    item = {"pk": {"S": "TENANT#a"}, "n": {"N": "12345"}, "l": {"L": [{"S": "ab"}]}}
    assert cost.item_bytes(item) == (2 + 8) + (1 + 4) + (1 + 3 + 1 + 2)
    assert [cost.write_units(size) for size in (0, 1024, 1025, 3000)] == [1, 1, 2, 3]


def test_r10_selector_benchmark_selects_every_stubbed_pending_invoice() -> None:
    """The real select handler and store against stubbed AWS: one JSON line, every invoice batched."""
    result = run_bench("selector", "--pending", "2345", timeout=120)
    (line,) = result.stdout.splitlines()
    figures = json.loads(line)
    assert figures["pending"] == 2345
    assert figures["batches"] == 47  # 1,000 tenants' keys, packed 50 to a batch at the end
    assert figures["peak_mb"] > 0
    assert figures["cpu_seconds"] > 0
    # The index Query reads only what an entry needs.
    assert figures["projection"] == ["gsi1sk,source"]


@pytest.mark.parametrize(("wide_best", "verdict"), [(49.9, "met"), (50.1, "not met")])
def test_bench_states_whether_the_largest_invoices_pdf_meets_its_target(
    wide_best: float, verdict: str
) -> None:
    """The check is on each kind's best over distinct invoices; the median is stated beside it."""
    figures = {"wall_ms": 90.0, "cpu_ms": 70.0, "invoices": 10}
    results = {
        "maximal_invoice_pdf": {**figures, "cpu_best_ms": 30.0},
        "maximal_invoice_pdf_wide_characters": {**figures, "cpu_best_ms": wide_best},
    }

    line = render.maximal_pdf_verdict(results)

    assert line.endswith(f"target 50 ms at best: {verdict}")
    assert f"best {wide_best:g} ms, median 70 ms over 10 distinct invoices" in line
    assert bool(render.over_target(results)) is (verdict == "not met")


def test_provisioned_dynamodb_bills_the_night_s_units_at_70_percent_use_and_the_day_s_minimum() -> None:
    """The night's 3,330 write and 2,000 read units per 1,000 invoices, scaled to a million, served
    at 70 % of the provisioned capacity (unit-seconds to unit-hours); table and index keep 5 write
    and 5 read units the 16 hours of day; the index's 250 read units for selection the 8 of night."""
    night = (3_330_000 * 0.00065 + 2_000_000 * 0.00013) / (0.7 * 3600)
    day = 2 * 5 * 16 * (0.00065 + 0.00013)
    selection = 250 * 8 * 0.00013
    assert cost.provisioned_dynamodb_per_million(NIGHT) == pytest.approx(night + day + selection)
    on_demand = (3330 * 0.625e-6 + 2000 * 0.125e-6) * 1000
    assert cost.provisioned_dynamodb_per_million(NIGHT) < on_demand
