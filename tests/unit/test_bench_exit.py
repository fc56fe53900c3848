"""`make bench` fails when the measured night did not succeed: figures of an unfinished run are wrong."""

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
