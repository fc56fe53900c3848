"""`make bench` fails when the measured night did not succeed: figures of an unfinished run are wrong."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import benchmarks.__main__ as bench


def _bench_with_night(monkeypatch: pytest.MonkeyPatch, status: list[str]) -> None:
    monkeypatch.setattr(bench.render, "run", lambda: {})
    monkeypatch.setattr(bench.requests, "run", lambda *_: {"status": status})
    monkeypatch.setattr(bench.sys, "argv", ["benchmarks"])
    bench.main()


@pytest.mark.parametrize("status", [["RUNNING"], ["FAILED"], ["TIMED_OUT"], []])
def test_bench_exits_non_zero_when_the_night_did_not_succeed(
    monkeypatch: pytest.MonkeyPatch, status: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _bench_with_night(monkeypatch, status)
    assert exit_.value.code != 0


def test_bench_reports_a_succeeded_night(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    _bench_with_night(monkeypatch, ["SUCCEEDED"])
    assert '"SUCCEEDED"' in capsys.readouterr().out


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
