"""R17, R23, R29: a financier reachable on Peppol (its agreement's e-invoice address a participant id,
no operator) gets the factoring copy as a Peppol BIS 3 document that passed the same validation
gate, through the access point, with the same claim, attempt and outcome records as any copy; a
copy without a clear answer, or left by a run that stopped, is reported in doubt, never sent again."""

from datetime import timedelta
from typing import Any

import pytest
from defusedxml import ElementTree
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from autodispatch.channels.ids import message_id
from autodispatch.channels.peppol import CAC, CBC, render_ubl
from autodispatch.channels.peppol_rules import broken_rules
from autodispatch.errors import TransientError
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.mime import UnsafeText
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import RouteName
from autodispatch.store.port import RunCounts
from tests.fakes.channels import FakeTransport, Parts
from tests.unit.test_logic_dispatch import LEASE, RUN, ZONE, World
from tests.unit.test_peppol import PARTICIPANTS, PDF, peppol_invoices
from tests.words import en

FINANCIER_ON_PEPPOL = {
    "financier_name": "Rahoitus Oy",
    "agreement_id": "FA-2291",
    "einvoice_address": "0216:003712345671",
}


class SilentAccessPoint(FakeTransport):
    """Takes the document and never answers (a timeout after sending): in doubt."""

    def submit(self, message_id: str, content: bytes, content_type: str, metadata: Any) -> None:
        super().submit(message_id, content, content_type, metadata)
        raise TransientError("no answer from the Peppol access point after sending", in_doubt=True)


def _night(build: Any, parts: Parts, agreement: dict[str, Any] = FINANCIER_ON_PEPPOL) -> tuple[World, Any]:
    world = World(build.tenant(factoring=agreement), build.invoice(factoring=True))
    result = BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock).dispatch(
        RUN, list(world.store.items)
    )
    return world, result


def test_r17_a_financier_on_peppol_needs_no_operator_any_other_address_still_does(build: Any) -> None:
    assert build.tenant(factoring=FINANCIER_ON_PEPPOL).factoring.einvoice_operator is None
    with pytest.raises(ValidationError):
        build.tenant(factoring={**FINANCIER_ON_PEPPOL, "einvoice_address": "003712345671"})
    with pytest.raises(ValidationError):
        build.tenant(
            factoring={"financier_name": "R", "agreement_id": "A", "einvoice_operator": "003721291126"}
        )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_r17_r29_every_generated_financiers_copy_passes_en16931_and_peppol_rules(
    build: Any, data: Any
) -> None:
    invoice, _ = data.draw(peppol_invoices(build))
    financier = data.draw(st.sampled_from(PARTICIPANTS))
    tenant = build.tenant(factoring={**FINANCIER_ON_PEPPOL, "einvoice_address": financier})
    event(f"{'credit note' if invoice.is_credit_note else 'invoice'} copy")
    try:
        copy = render_ubl(invoice, tenant, pdf=PDF, kind=DeliveryKind.FACTORING, factoring=tenant.factoring)
    except UnsafeText:
        event("refused: text XML cannot carry")
        return
    assert broken_rules(copy) == []
    root = ElementTree.fromstring(copy)
    buyer = root.find(f"{{{CAC}}}AccountingCustomerParty/{{{CAC}}}Party/{{{CBC}}}EndpointID")
    assert buyer is not None
    assert f"{buyer.get('schemeID')}:{buyer.text}" == financier


def test_r17_r29_the_financiers_copy_goes_as_peppol_bis3_through_the_access_point(build: Any) -> None:
    parts = Parts()
    world, result = _night(build, parts)

    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)
    # The invoice itself by Finvoice to the customer's operator; the copy by Peppol to the financier.
    [(_, finvoice, _, invoice_meta)] = parts.einvoice.submitted
    [(copy_id, ubl, content_type, copy_meta)] = parts.peppol.submitted
    assert (b"<Finvoice" in finvoice, invoice_meta["kind"]) == (True, "INVOICE")
    assert (content_type, copy_meta["kind"], copy_meta["channel"]) == (
        "application/xml",
        "FACTORING",
        "EINVOICE",
    )
    # The same gate as every Peppol document: the official EN 16931 and Peppol rules, none broken.
    assert broken_rules(ubl) == []
    root = ElementTree.fromstring(ubl)
    buyer = root.find(f"{{{CAC}}}AccountingCustomerParty/{{{CAC}}}Party/{{{CBC}}}EndpointID")
    assert buyer is not None
    assert (buyer.get("schemeID"), buyer.text) == ("0216", "003712345671")
    assert root.findtext(f"{{{CAC}}}PayeeParty/{{{CAC}}}PartyName/{{{CBC}}}Name") == "Rahoitus Oy"
    assert "FA-2291" in (root.findtext(f"{{{CBC}}}Note") or "")
    # Its copy archived with the route's extension, as every delivered document's.
    assert any(key.endswith(f"/EINVOICE/FACTORING/{copy_id}.xml") for key in parts.archive.stored)
    # The same records as any copy: the claim, the delivered marker before the copy, the outcome.
    assert world.store.writes == ["claim", "next_attempt", "settle", "add_run_counts"]
    copy = record.history[-1]
    assert (copy.event, copy.channel, copy.route) == (
        HistoryEventKind.FACTORING_SENT,
        Channel.EINVOICE,
        RouteName.PEPPOL,
    )
    assert result.counts == RunCounts(sent=1)


def test_r17_r29_a_copy_breaking_the_peppol_rules_never_leaves_and_is_reported(build: Any) -> None:
    parts = Parts()
    world, result = _night(build, parts, {**FINANCIER_ON_PEPPOL, "einvoice_address": "9999:12345"})

    assert parts.peppol.submitted == []
    assert world.record().state is AutoDispatchState.SENT  # the invoice itself went
    failed = world.record().history[-1]
    assert (failed.event, failed.route) == (HistoryEventKind.FACTORING_FAILED, RouteName.PEPPOL)
    assert "BR-CL-25" in (en(failed.detail) or "")
    assert result.counts == RunCounts(sent=1, follow_ups_failed=1)


def test_r17_r23_a_peppol_copy_without_an_answer_is_reported_in_doubt_and_never_sent_again(
    build: Any,
) -> None:
    parts = Parts(peppol=SilentAccessPoint())
    world, result = _night(build, parts)

    record = world.record()
    assert record.state is AutoDispatchState.SENT
    failed = record.history[-1]
    assert (failed.event, failed.route) == (HistoryEventKind.FACTORING_FAILED, RouteName.PEPPOL)
    assert "no answer from the Peppol access point after sending" in (en(failed.detail) or "")
    [issue] = world.store.run_issues(RUN.run_id)
    assert issue.state is AutoDispatchState.SENT
    assert result.counts == RunCounts(sent=1, follow_ups_failed=1)
    # The next night takes nothing: neither the invoice nor its copy goes again.
    world.clock.now += timedelta(days=1)
    BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock).dispatch(
        RUN, list(world.store.items)
    )
    assert (len(parts.peppol.submitted), len(parts.einvoice.submitted)) == (1, 1)


def test_r17_r23_a_run_stopped_during_the_peppol_copy_hands_the_same_document_over_again(build: Any) -> None:
    """The route is repeat-safe (the access point drops a repeated message id), so R23 repeats the
    copy under the id the stopped run used, where a copy by email would be reported in doubt."""
    parts = Parts()
    world = World(build.tenant(factoring=FINANCIER_ON_PEPPOL), build.invoice(factoring=True))
    # A run delivered the invoice by e-invoice and stopped while its copy was going (the marker).
    world.hold("inv-1", "dead/1", Channel.EINVOICE, delivered=Channel.EINVOICE)
    world.clock.now += timedelta(hours=1)  # its lease ran out
    BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock).dispatch(
        RUN, list(world.store.items)
    )

    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)
    assert parts.einvoice.submitted == []  # the invoice itself is never sent again
    [(copy_id, _, _, _)] = parts.peppol.submitted
    assert copy_id == message_id(
        world.store.documents[record_key(world)], Channel.EINVOICE, DeliveryKind.FACTORING
    )
    copy = record.history[-1]
    assert (copy.event, copy.channel, copy.route) == (
        HistoryEventKind.FACTORING_SENT,
        Channel.EINVOICE,
        RouteName.PEPPOL,
    )


def record_key(world: World) -> Any:
    return next(iter(world.store.items))
