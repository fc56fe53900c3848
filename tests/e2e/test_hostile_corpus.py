"""R25 (with R12-R18, R23): a corpus of 250+ generated hostile variants (tests/hostile.py), each
ending in its outcome class: refused by the real CLI in one line (the import's parse of every
variant: tests/unit/test_hostile_import.py); or taken by a run and ended SENT, FAILED or IGNORED
with a reason; or never taken. No traceback, no
"unexpected error", nothing written outside --out, every XML artifact schema-valid.

Variants refused at import go through the import in-process (and a handful through the real CLI);
the variants a run takes share one scenario and one local run of the real state machine."""

import email
import email.policy
import json
import subprocess
import sys
from datetime import date
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from autodispatch.models.document import parse_scenario_json
from autodispatch.models.loading import parse_scenario
from autodispatch_cli.local.night_run import run_scenario
from tests import hostile

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT / "tests" / "fixtures" / "Finvoice3.0.xsd"
CLI = [sys.executable, "-m", "autodispatch_cli.main"]
NIGHT = date(2026, 3, 10)
REJECTED = hostile.rejected_variants()
RUN = hostile.run_variants()
DOCUMENTS = hostile.document_variants()
TENANTS = hostile.rejected_tenant_variants()


def _params(variants: list[hostile.Variant]) -> list[Any]:
    return [pytest.param(variant, id=variant.name) for variant in variants]


def _cli(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(text, encoding="utf-8")
    return subprocess.run(
        [*CLI, "local", "run", "--scenario", str(scenario), "--date", "2026-03-10", "--json", "--out", "out"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )


CLI_SAMPLES = [REJECTED[0], REJECTED[2], REJECTED[40], REJECTED[-30], REJECTED[-1]]


@pytest.mark.parametrize("variant", CLI_SAMPLES, ids=[variant.name for variant in CLI_SAMPLES])
def test_r25_the_cli_refuses_hostile_input_in_one_line_and_writes_nothing(
    tmp_path: Path, variant: hostile.Variant
) -> None:
    document = {"tenants": list(hostile.TENANTS.values()), "invoices": [variant.invoice]}
    result = _cli(tmp_path, json.dumps(document))
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"tenant '{variant.invoice['tenant_id']}'" in lines[0]
    assert f"invoice '{variant.invoice['invoice_id']}'" in lines[0]
    assert "field '" in lines[0]
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scenario.json"]


ECHOED = [variant for variant in REJECTED if variant.invoice["invoice_id"] in hostile.ECHOED_HOSTILE]


@pytest.mark.parametrize("variant", ECHOED, ids=[f"echoed-{n}" for n in range(len(ECHOED))])
def test_r25_an_echoed_hostile_id_reaches_the_terminal_as_one_safe_line(
    tmp_path: Path, variant: hostile.Variant
) -> None:
    """Line feeds, ANSI CSI and OSC 8 sequences, rich markup and a megabyte id in an error: escaped
    and shortened, never interpreted."""
    document = {"tenants": list(hostile.TENANTS.values()), "invoices": [variant.invoice]}
    result = _cli(tmp_path, json.dumps(document))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert not any(char in lines[0] for char in "\x1b\x07\x9b\r"), lines[0]
    assert "field 'invoice_id'" in lines[0]
    assert len(lines[0]) < 2_000
    if len(variant.invoice["invoice_id"]) > 1_000:
        assert "… (1,000,000 bytes)" in lines[0]
    if "[bold red]" in variant.invoice["invoice_id"]:
        assert "[bold red]k[/]" in lines[0]


def test_r25_the_cli_refuses_deep_json_in_one_line(tmp_path: Path) -> None:
    _, change, says = DOCUMENTS[0]
    result = _cli(tmp_path, change(json.dumps(hostile.run_scenario_document(RUN[:3]))))
    assert result.returncode != 0
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "RecursionError" not in result.stderr


# --- taken by a run -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The run corpus through the import and one night of the real state machine, locally."""
    root = tmp_path_factory.mktemp("corpus")
    out = root / "out"
    document = hostile.run_scenario_document(RUN)
    scenario = parse_scenario(parse_scenario_json(json.dumps(document), "corpus.json"))
    report = run_scenario(scenario, [NIGHT], out=out)
    return report, out


def _entry(report: dict[str, Any], variant: hostile.Variant) -> dict[str, Any]:
    key = (variant.invoice["tenant_id"], variant.invoice["invoice_id"])
    return next(entry for entry in report["invoices"] if (entry["tenant_id"], entry["invoice_id"]) == key)


@pytest.mark.parametrize("variant", _params(RUN))
def test_r25_hostile_invoice_ends_in_its_outcome_class(
    corpus_run: tuple[dict[str, Any], Path], variant: hostile.Variant
) -> None:
    report, _ = corpus_run
    entry = _entry(report, variant)
    deliveries = [
        d
        for d in report["deliveries"]
        if (d["tenant_id"], d["invoice_id"]) == (variant.invoice["tenant_id"], variant.invoice["invoice_id"])
        and d["kind"] != "FACTORING"
    ]
    expect = variant.expect
    if isinstance(expect, hostile.Untouched):
        assert entry["status"] == expect.status
        assert deliveries == []
        assert entry["history"] == []
        return
    assert isinstance(expect, hostile.Ended)
    explained = f"{entry['message']} {entry['details']}"
    assert (entry["auto_dispatch"], entry["channel"] if expect.channel else None) == (
        expect.state,
        expect.channel,
    ), explained
    assert "may or may not" not in explained
    if expect.reason is not None:
        assert expect.reason in explained
    if expect.state == "SENT":
        assert [d["channel"] for d in deliveries] == [expect.channel]
    else:
        assert deliveries == []
        assert entry["message"]


def test_r25_every_artifact_is_inside_out_and_every_xml_is_schema_valid(
    corpus_run: tuple[dict[str, Any], Path],
) -> None:
    report, out = corpus_run
    written = {path for path in out.parent.rglob("*") if path.is_file()}
    assert written == {out / d["artifact"] for d in report["deliveries"]}
    xml = [path for path in written if path.suffix == ".xml"]
    assert len(xml) >= 30
    for path in xml:
        schema().validate(path.read_text(encoding="utf-8"))  # a path would be read as a URL


def test_r25_no_email_of_the_corpus_carries_an_injected_header(
    corpus_run: tuple[dict[str, Any], Path],
) -> None:
    report, out = corpus_run
    emails = [out / d["artifact"] for d in report["deliveries"] if d["channel"] == "EMAIL"]
    assert len(emails) >= 20
    for path in emails:
        raw = path.read_bytes()
        names = [name.lower() for name in BytesHeaderParser(policy=compat32).parsebytes(raw)]
        assert "bcc" not in names
        assert len(names) == len(set(names)), (path, names)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        # A payload may show as literal text in a display name, never as an address.
        assert [address.domain for address in message["To"].addresses] == ["rakennus.example"]
    for notification in report["notifications"]:
        assert "\n" not in (notification["subject"] or "")


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def test_r15_a_blank_postcode_imports_through_the_cli_and_fails_print_with_the_reason(tmp_path: Path) -> None:
    document = json.loads(hostile.DEMO.read_text(encoding="utf-8"))
    letter = next(entry for entry in document["invoices"] if entry["invoice_id"] == "k-1004")
    letter["customer"]["address"]["postcode"] = " "
    result = _cli(tmp_path, json.dumps(document))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    entry = next(entry for entry in report["invoices"] if entry["invoice_id"] == "k-1004")
    # No email, and PRINT (the end of the chain, R12) lacks the postcode: FAILED saying why (R15, R16).
    assert entry["auto_dispatch"] == "FAILED"
    assert "missing: postcode" in f"{entry['message']} {entry['details']}"
    assert not [d for d in report["deliveries"] if d["invoice_id"] == "k-1004"]
    assert {path.name for path in tmp_path.iterdir()} == {"scenario.json", "out"}
