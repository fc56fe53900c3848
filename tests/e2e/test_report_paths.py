"""The local run report (SCENARIO-FORMAT.md): delivery ids are the real ids, and `--out` never
writes outside its folder, whatever a tenant id contains (R25)."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from autodispatch.models.loading import parse_scenario
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.report import UnsafeArtifactPath, _artifact, _relative

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"
# Import refuses '/' and spaces in ids (R25 limits); what remains must still be encoded and decoded.
HOSTILE_TENANT = "ä..:kahvila_1"


def _scenario_with_tenant(old: str, new: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    for entry in [*document["tenants"], *document["invoices"]]:
        if entry["tenant_id"] == old:
            entry["tenant_id"] = new
    return document


def test_r25_report_ids_are_decoded_and_artifacts_stay_inside_out(tmp_path: Path) -> None:
    document = _scenario_with_tenant("kahvila", HOSTILE_TENANT)
    tenant_of = {invoice["invoice_id"]: invoice["tenant_id"] for invoice in document["invoices"]}
    out = tmp_path / "a" / "b"

    report = run_scenario(parse_scenario(document), [date(2026, 3, 10)], out=out)

    deliveries = report["deliveries"]
    hostile = [d for d in deliveries if tenant_of[d["invoice_id"]] == HOSTILE_TENANT]
    # S3 metadata (EINVOICE, PRINT) and email headers (EMAIL) both give back the real id.
    assert {d["channel"] for d in hostile} == {"EINVOICE", "EMAIL", "PRINT"}
    assert all(d["tenant_id"] == HOSTILE_TENANT for d in hostile)
    assert all(d["tenant_id"] == tenant_of[d["invoice_id"]] for d in deliveries)

    written = {path for path in tmp_path.rglob("*") if path.is_file()}
    assert written == {(out / d["artifact"]) for d in deliveries}
    for delivery in deliveries:
        path = (out / delivery["artifact"]).resolve()
        assert path.is_relative_to(out.resolve())
        assert path.is_file()
        assert path.parent.parent.name == delivery["channel"].lower()
        assert path.parent.parent.parent == out.resolve()


@pytest.mark.parametrize("tenant_id", [".", "..", "a/../../..", "/etc", "%2E%2E"])
def test_r25_artifact_path_segments_cannot_name_another_folder(tmp_path: Path, tenant_id: str) -> None:
    relative = _relative("einvoice", tenant_id, "..", "INVOICE", "xml")

    written = tmp_path / _artifact(tmp_path, relative, b"x", "unused")

    assert written.resolve().parent.parent == (tmp_path / "einvoice").resolve()


def test_r25_an_artifact_path_leaving_out_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArtifactPath, match="outside"):
        _artifact(tmp_path / "out", "../escape.xml", b"x", "unused")
    assert not (tmp_path / "escape.xml").exists()
