"""`make bench` fails when the measured night did not succeed: figures of an unfinished run are wrong."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import benchmarks.__main__ as bench
from benchmarks import cost

NIGHT = {
    "invoices": 1000,
    "requests": {"s3.PutObject": 1000, "s3.GetObject": 1},
    "dynamodb_write_units": 2000,
    "dynamodb_read_units": 500,
    "lambda_invocations": {"SelectInvoices": 1, "DispatchInvoice": 20, "NotifyFailures": 1},
    "lambda_seconds": {"SelectInvoices": 1.0, "DispatchInvoice": 100.0, "NotifyFailures": 1.0},
}


def _bench_with_night(monkeypatch: pytest.MonkeyPatch, status: list[str]) -> None:
    monkeypatch.setattr(bench.render, "run", lambda: {})
    monkeypatch.setattr(bench.requests, "run", lambda *_: {**NIGHT, "status": status})
    monkeypatch.setattr(bench.sys, "argv", ["benchmarks"])
    bench.main()


@pytest.mark.parametrize("status", [["RUNNING"], ["FAILED"], ["TIMED_OUT"], []])
def test_bench_exits_non_zero_when_the_night_did_not_succeed(
    monkeypatch: pytest.MonkeyPatch, status: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _bench_with_night(monkeypatch, status)
    assert exit_.value.code != 0


def test_bench_ends_a_succeeded_night_with_its_cost_per_million_invoices(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    _bench_with_night(monkeypatch, ["SUCCEEDED"])
    last = capsys.readouterr().out.splitlines()[-1]
    # 1,000 PUTs ($5), 2,000 write units ($1.25), 500 read units, 102 GB-s of Lambda, per 1,000 invoices.
    s3 = 1000 * 0.005 / 1000 + 0.0004 / 1000
    dynamodb = 2000 * 0.625e-6 + 500 * 0.125e-6
    functions = 22 * 0.2e-6 + (0.5 + 100 + 0.5) * 0.0000133334
    express = 20 * 1e-6 + 100 * 64 / 1024 * 0.00001667
    total = (s3 + dynamodb + functions + express) * 1000 + 6 * 0.025 / 1000 * 1000
    assert last == f"infra_usd_per_million_invoices={total:.2f}"


def test_dynamodb_item_size_and_write_units() -> None:
    item = {"pk": {"S": "TENANT#a"}, "n": {"N": "12345"}, "l": {"L": [{"S": "ab"}]}}
    assert cost.item_bytes(item) == (2 + 8) + (1 + 4) + (1 + 3 + 1 + 2)
    assert [cost.write_units(size) for size in (0, 1024, 1025, 3000)] == [1, 1, 2, 3]


def test_r10_selector_benchmark_selects_every_stubbed_pending_invoice() -> None:
    """The real select handler and store against stubbed AWS: one JSON line, every invoice batched."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "selector", "--pending", "2345"],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                str(root / p) for p in ("layers/common/python", "functions", "cli", ".")
            ),
        },
    )
    (line,) = result.stdout.splitlines()
    figures = json.loads(line)
    assert figures["pending"] == 2345
    assert figures["batches"] == 47  # 1,000 tenants' keys, packed 50 to a batch at the end
    assert figures["peak_mb"] > 0
