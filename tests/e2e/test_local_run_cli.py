"""`autodispatch local run` as a user runs it: the public JSON report and its errors."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-scenario.json"
CLI = [sys.executable, "-m", "autodispatch_cli.main"]

pytestmark = pytest.mark.e2e


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)


DEMO_NIGHT = ("local", "run", "--scenario", str(DEMO), "--date", "2026-03-10")


@pytest.fixture(scope="module")
def english_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The demo night's JSON report as a script asks for it (run once: each run takes seconds)."""
    out = tmp_path_factory.mktemp("en")
    return run_cli(*DEMO_NIGHT, "--json", "--out", str(out)), out


def test_local_run_json_prints_exactly_the_run_report(
    english_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = english_run
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # nothing but the one document on stdout
    assert set(report) == {"runs", "invoices", "notifications", "deliveries"}
    assert set(report["runs"][0]) == {
        "run_date", "executions", "selected", "sent", "ignored", "failed", "follow_ups_failed"
    }  # fmt: skip
    assert set(report["invoices"][0]) == {
        "tenant_id",
        "invoice_id",
        "status",
        "auto_dispatch",
        "channel",
        "sent_on",
        "message",
        "details",
        "history",
    }
    assert set(report["invoices"][0]["history"][0]) == {"at", "event", "channel", "detail"}
    assert set(report["notifications"][0]) == {"tenant_id", "run_date", "kind", "to", "subject", "body"}
    assert set(report["deliveries"][0]) == {"tenant_id", "invoice_id", "channel", "kind", "artifact"}
    for delivery in report["deliveries"]:
        assert (out / delivery["artifact"]).is_file()


def test_r25_invalid_scenario_exits_non_zero_naming_tenant_invoice_and_field(tmp_path: Path) -> None:
    scenario = json.loads(DEMO.read_text(encoding="utf-8"))
    scenario["invoices"][2]["lines"][0]["quantity"] = "ten"
    scenario["invoices"][3]["customer"]["name"] = "Liisa\r\nBcc: everyone@example.com"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(scenario), encoding="utf-8")
    result = run_cli("local", "run", "--scenario", str(bad), "--date", "2026-03-10", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "tenant 'kahvila', invoice 'k-1003', field 'lines[0].quantity'" in result.stderr
    assert "tenant 'kahvila', invoice 'k-1004', field 'customer.name'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "missing.json", "--date", "2026-03-10"], "cannot read"),
        (["--scenario", str(DEMO), "--date", "10.3.2026"], "YYYY-MM-DD"),
    ],
)
def test_local_run_bad_arguments_get_one_clear_line(args: list[str], message: str) -> None:
    result = run_cli("local", "run", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["invoices", "list"], "Missing option '--tenant'"),
        (["runs", "start", "--date", "10.3.2026"], "YYYY-MM-DD"),
        (["settings", "set", "--tenant"], "requires an argument"),
    ],
)
def test_usage_errors_are_one_line_with_exit_status_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_help_documents_the_exit_statuses() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "2 bad command line or input" in text
    assert "3 the awaited run did not succeed" in text


def _without_run_names_and_times(report: dict[str, object]) -> str:
    """The report with what differs between two runs of the same scenario (execution names, the
    instants of history events) blanked, as text to compare."""
    text = json.dumps(report, ensure_ascii=False, sort_keys=True)
    text = re.sub(r'"name": "[^"]+"', '"name": ""', text)
    return re.sub(r'"at": "[^"]+"', '"at": ""', text)


def test_r30_local_run_summary_speaks_the_readers_language_and_the_json_report_stays_english(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    english_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # a wide terminal: headings on one line
    args = DEMO_NIGHT
    summary = run_cli(*args, "--lang", "sv")  # --lang after the subcommand
    assert summary.returncode == 0, summary.stderr
    for words in (
        "Exekveringar",
        "Lyckades",
        "Skickade fakturor",
        "Automatisk utskick misslyckades",
        "E-post",
    ):
        assert words in summary.stdout, words
    internal = re.compile(r"\b(SUCCEEDED|FAILED|IGNORED|SENT|EINVOICE|EMAIL|PRINT|INVOICE|SMS)\b")
    assert not internal.search(summary.stdout), internal.search(summary.stdout)
    # The report of SCENARIO-FORMAT.md: English, the same document whatever language is asked for.
    english = english_run[0]
    swedish = run_cli(*args, "--json", "--lang", "sv", "--out", str(tmp_path / "sv"))
    assert english.returncode == swedish.returncode == 0
    assert "Automatic dispatch failed" in english.stdout
    assert _without_run_names_and_times(json.loads(swedish.stdout)) == _without_run_names_and_times(
        json.loads(english.stdout)
    )
