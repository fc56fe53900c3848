"""The demo scenario worked out by hand from SPEC.md for the runs of 10 and 11 March 2026.

The rules under test are the pure ones: `why_not_taken` (R3, R5-R10) picks the invoices, `decide`
(R11-R18) says what happens to each, `factoring_route` (R17) adds the financier's copy. Every
channel is assumed to accept what it is given, so each SEND is final.
"""

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from autodispatch.models.dispatch import Outcome
from autodispatch.models.enums import AutoDispatchState, InvoiceStatus
from autodispatch.models.loading import parse_scenario
from autodispatch.rules.activation import auto_dispatch_default
from autodispatch.rules.chain import decide
from autodispatch.rules.due import why_not_taken
from autodispatch.rules.factoring import factoring_route
from tests.demo_oracle import HAND_TABLE, NIGHT_1, NIGHT_2

HELSINKI = ZoneInfo("Europe/Helsinki")
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"


FINAL_STATE = {Outcome.IGNORE: AutoDispatchState.IGNORED, Outcome.FAIL: AutoDispatchState.FAILED}


@pytest.fixture(scope="module")
def demo():
    return parse_scenario(json.loads(DEMO.read_text(encoding="utf-8")))


def _initial_state(invoice, tenant):
    """R2/R8: an explicit auto_dispatch false, or an invoice created before activation, starts REMOVED."""
    if invoice.auto_dispatch is None:
        on = auto_dispatch_default(tenant.settings, invoice.created_at)
    else:
        on = invoice.auto_dispatch
    return AutoDispatchState.PENDING if on else AutoDispatchState.REMOVED


def _night(demo, run_date, invoices, states):
    """One run: the reason each invoice is not taken, or its decision; then the new invoices and states."""
    tenants = {tenant.tenant_id: tenant for tenant in demo.tenants}
    results, next_invoices, next_states = {}, dict(invoices), dict(states)
    for invoice_id, invoice in invoices.items():
        tenant = tenants[invoice.tenant_id]
        reason = why_not_taken(invoice, states[invoice_id], tenant.settings, run_date, HELSINKI)
        if reason is not None:
            results[invoice_id] = (reason, None)
            continue
        decision = decide(invoice, tenant)
        results[invoice_id] = (None, decision)
        if decision.outcome is Outcome.SEND:
            next_invoices[invoice_id] = invoice.model_copy(update={"status": InvoiceStatus.SENT})
            next_states[invoice_id] = AutoDispatchState.SENT
        else:
            next_states[invoice_id] = FINAL_STATE[decision.outcome]
    return results, next_invoices, next_states


@pytest.fixture(scope="module")
def nights(demo):
    invoices = {invoice.invoice_id: invoice for invoice in demo.invoices}
    tenants = {tenant.tenant_id: tenant for tenant in demo.tenants}
    states = {key: _initial_state(invoice, tenants[invoice.tenant_id]) for key, invoice in invoices.items()}
    first, invoices, states = _night(demo, NIGHT_1, invoices, states)
    second, _, _ = _night(demo, NIGHT_2, invoices, states)
    return {NIGHT_1: first, NIGHT_2: second}


def test_r5_to_r18_hand_table_covers_all_15_invoices_on_both_nights(demo):
    ids = {invoice.invoice_id for invoice in demo.invoices}
    assert len(ids) == 15
    for night in (NIGHT_1, NIGHT_2):
        assert [row.invoice_id for row in HAND_TABLE if row.night == night] == sorted(
            ids, key=lambda i: (i[0] != "k", i)
        )


@pytest.mark.parametrize("row", HAND_TABLE, ids=[f"{row.night.day}.3-{row.invoice_id}" for row in HAND_TABLE])
def test_r3_to_r18_demo_nights_match_the_hand_worked_table(demo, nights, row):
    why, decision = nights[row.night][row.invoice_id]
    assert why is row.not_taken, row.reason
    if row.not_taken is not None:
        assert decision is None
        return
    assert decision.outcome is row.outcome, row.reason
    assert decision.channel is row.channel, row.reason
    assert decision.kind is row.kind, row.reason
    assert [note.channel for note in decision.notes] == row.considered, row.reason
    invoice = next(invoice for invoice in demo.invoices if invoice.invoice_id == row.invoice_id)
    tenant = next(tenant for tenant in demo.tenants if tenant.tenant_id == invoice.tenant_id)
    route = factoring_route(invoice, tenant)
    assert (route.channel if route else None) is row.factoring, row.reason


def test_r6_r7_only_k1010_and_t502_are_new_on_the_second_night(nights):
    taken = {invoice_id for invoice_id, (why, _) in nights[NIGHT_2].items() if why is None}
    assert taken == {"k-1010", "t-502"}


def test_r2_demo_credit_note_is_dispatched_like_an_invoice(demo, nights):
    credit = next(invoice for invoice in demo.invoices if invoice.invoice_id == "k-1010")
    assert credit.is_credit_note
    _, decision = nights[NIGHT_2]["k-1010"]
    assert decision.outcome is Outcome.SEND


def test_r10_missing_the_first_night_loses_nothing(demo, nights):
    """Had the run of 10.3 not happened, the run of 11.3 takes everything night 1 took, plus the new ones,
    with the same decisions."""
    invoices = {invoice.invoice_id: invoice for invoice in demo.invoices}
    tenants = {tenant.tenant_id: tenant for tenant in demo.tenants}
    states = {key: _initial_state(invoice, tenants[invoice.tenant_id]) for key, invoice in invoices.items()}
    late, _, _ = _night(demo, NIGHT_2, invoices, states)
    taken_late = {invoice_id for invoice_id, (why, _) in late.items() if why is None}
    taken_first = {invoice_id for invoice_id, (why, _) in nights[NIGHT_1].items() if why is None}
    assert taken_late == taken_first | {"k-1010", "t-502"}
    for invoice_id in taken_first:
        assert late[invoice_id][1] == nights[NIGHT_1][invoice_id][1]


def test_r21_demo_tenants_with_failures_on_night_1(nights, demo):
    """Tenants to notify (with FAILED or IGNORED invoices): both after night 1, none after night 2."""
    owner = {invoice.invoice_id: invoice.tenant_id for invoice in demo.invoices}

    def to_notify(results):
        return {
            owner[invoice_id]
            for invoice_id, (_, decision) in results.items()
            if decision is not None and decision.outcome in (Outcome.FAIL, Outcome.IGNORE)
        }

    assert to_notify(nights[NIGHT_1]) == {"kahvila", "tilitoimisto"}
    assert to_notify(nights[NIGHT_2]) == set()
