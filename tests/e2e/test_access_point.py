"""R12, R17, R23, R29: the demo's first night through the real state machine. With every route
transport on HTTP, each to its own local stand-in (`autodispatch_cli/local/stand_ins.py`), the
Peppol access point refuses or never answers while the Finvoice operator accepts: the Peppol
customer (k-1011) goes on down the chain, or ends in doubt, and every Finvoice invoice still goes.
With the financier on Peppol, k-1009's factoring copy is a Peppol BIS 3 document in the report."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from autodispatch.channels.peppol_rules import broken_rules
from autodispatch.models.scenario import Factoring, Scenario
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.runtime import LocalAws
from autodispatch_cli.local.stand_ins import Answer, StandIns
from tests.demo_oracle import NIGHT_1

pytestmark = pytest.mark.e2e

PEPPOL_CUSTOMER = "k-1011"
# The demo's invoices sent on the first night by Finvoice (tests/demo_oracle.py).
BY_FINVOICE = {"k-1001", "k-1008", "k-1009"}


def _night(scenario: Scenario, access_point: Answer) -> tuple[dict[str, Any], StandIns]:
    with (
        StandIns({"peppol": access_point}) as services,
        LocalAws(environment=services.environment()) as local,
    ):
        return run_scenario(scenario, [NIGHT_1], local=local), services


def _invoice(report: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    return next(entry for entry in report["invoices"] if entry["invoice_id"] == invoice_id)


def _assert_the_operator_got_every_finvoice_once(services: StandIns) -> None:
    operator = services["einvoice"]
    assert sorted(document.metadata["invoice-id"] for document in operator.received) == sorted(BY_FINVOICE)
    assert all(b"<Finvoice" in document.body for document in operator.received)
    assert operator.refused == []


def test_r12_r29_an_access_point_that_refuses_sends_the_peppol_customer_on_by_email(
    demo_scenario: Scenario,
) -> None:
    report, services = _night(demo_scenario, Answer.REFUSE)

    [refused] = services["peppol"].refused
    assert (refused.metadata["invoice-id"], refused.metadata["channel"]) == (PEPPOL_CUSTOMER, "EINVOICE")
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in refused.body
    assert services["peppol"].received == []
    entry = _invoice(report, PEPPOL_CUSTOMER)
    assert (entry["auto_dispatch"], entry["channel"], entry["sent_on"]) == ("SENT", "EMAIL", "2026-03-10")
    [rejected] = [item for item in entry["history"] if item["event"] == "CHANNEL_REJECTED"]
    assert rejected["channel"] == "EINVOICE"
    assert "the Peppol access point refused the message (HTTP 422)" in rejected["detail"]
    emailed = [d for d in report["deliveries"] if d["invoice_id"] == PEPPOL_CUSTOMER]
    assert [(d["channel"], d["kind"]) for d in emailed] == [("EMAIL", "INVOICE")]
    for invoice_id in BY_FINVOICE:
        assert _invoice(report, invoice_id)["channel"] == "EINVOICE"
    _assert_the_operator_got_every_finvoice_once(services)


def test_r23_an_access_point_that_never_answers_leaves_the_peppol_customer_in_doubt_not_emailed(
    demo_scenario: Scenario,
) -> None:
    report, services = _night(demo_scenario, Answer.NO_ANSWER)

    entry = _invoice(report, PEPPOL_CUSTOMER)
    assert (entry["auto_dispatch"], entry["status"], entry["sent_on"]) == ("FAILED", "UNSENT", None)
    assert "it is unknown whether the invoice reached the customer" in entry["message"]
    assert "the service did not answer" in entry["message"]  # not only "a run stopped"
    # Never sent by another channel: the e-invoice may have reached the customer.
    assert [d for d in report["deliveries"] if d["invoice_id"] == PEPPOL_CUSTOMER] == []
    # Repeat-safe, so the same document (same message id) may have been handed over again; never another.
    attempts = services["peppol"].refused
    assert attempts
    assert {document.message_id for document in attempts} == {attempts[0].message_id}
    assert report["runs"][0]["failed"] >= 1
    assert date.fromisoformat(report["runs"][0]["run_date"]) == NIGHT_1
    _assert_the_operator_got_every_finvoice_once(services)


def test_r17_r29_a_financier_on_peppol_gets_k_1009s_copy_as_peppol_bis3_in_the_report(
    demo_scenario: Scenario, tmp_path: Path
) -> None:
    """The demo's factoring invoice with its financier reachable on Peppol (the proposed addition:
    the agreement's e-invoice address a participant id, no operator), through the S3 outboxes of
    `local run`: the report's `deliveries` keeps its shape, the copy a `.xml` UBL file under --out."""
    kahvila = next(tenant for tenant in demo_scenario.tenants if tenant.tenant_id == "kahvila")
    assert kahvila.factoring is not None
    on_peppol = Factoring.model_validate(
        {**kahvila.factoring.model_dump(exclude={"email"}), "einvoice_address": "0216:003712345671"}
    )
    tenants = [
        t.model_copy(update={"factoring": on_peppol}) if t is kahvila else t for t in demo_scenario.tenants
    ]

    with LocalAws() as local:
        report = run_scenario(
            demo_scenario.model_copy(update={"tenants": tenants}), [NIGHT_1], local=local, out=tmp_path
        )

    entry = _invoice(report, "k-1009")
    assert (entry["auto_dispatch"], entry["channel"]) == ("SENT", "EINVOICE")
    assert [item["event"] for item in entry["history"]][-1] == "FACTORING_SENT"
    assert report["runs"][0]["follow_ups_failed"] == 0
    k1009 = sorted(
        (d["kind"], d["channel"], d["artifact"]) for d in report["deliveries"] if d["invoice_id"] == "k-1009"
    )
    assert k1009 == [
        ("FACTORING", "EINVOICE", "einvoice/kahvila/k-1009-factoring.xml"),
        ("INVOICE", "EINVOICE", "einvoice/kahvila/k-1009-invoice.xml"),
    ]
    assert {frozenset(d) for d in report["deliveries"]} == {
        frozenset({"tenant_id", "invoice_id", "channel", "kind", "artifact"})
    }
    copy = (tmp_path / "einvoice/kahvila/k-1009-factoring.xml").read_bytes()
    assert broken_rules(copy) == []
    assert b'<cbc:EndpointID schemeID="0216">003712345671</cbc:EndpointID>' in copy
    assert b"<Finvoice" in (tmp_path / "einvoice/kahvila/k-1009-invoice.xml").read_bytes()
