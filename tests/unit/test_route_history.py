"""R19, R30: each delivery's history entry records the route that carried or refused it (Finvoice or
Peppol BIS 3 for an e-invoice, email, print) as data; the API's history names it in the reader's
language from the catalogue, and the run report's history keeps its shape."""

from typing import Any

import pytest

from autodispatch.i18n import render
from autodispatch.i18n.catalogue import MESSAGES
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.models.enums import Channel, HistoryEventKind, Language
from autodispatch.models.report import entry_json, invoice_model
from autodispatch.models.routes import ROUTES, RouteName
from autodispatch.models.scenario import Invoice
from tests.fakes.channels import Parts
from tests.unit.test_logic_dispatch import LEASE, RUN, ZONE, World

DELIVERY_EVENTS = {
    HistoryEventKind.CHANNEL_TRIED,
    HistoryEventKind.CHANNEL_REJECTED,
    HistoryEventKind.SENT,
    HistoryEventKind.FACTORING_SENT,
    HistoryEventKind.FACTORING_FAILED,
}


def _dispatched(build: Any, invoice: Invoice, **tenant: Any) -> Any:
    parts = Parts()
    world = World(build.tenant(**tenant), invoice)
    BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock).dispatch(
        RUN, list(world.store.items)
    )
    return world.record(invoice.invoice_id)


def _peppol_invoice(build: Any, address: str) -> Invoice:
    customer = build.business_customer(einvoice_address=address)
    customer.pop("einvoice_operator")
    return Invoice.model_validate(build.invoice_dict(customer=customer))


def test_r19_r29_a_refused_peppol_document_and_the_email_after_it_each_record_their_route(build: Any) -> None:
    # A Peppol id whose scheme the network's code list lacks: the gate refuses the UBL, email goes.
    record = _dispatched(build, _peppol_invoice(build, "9999:12345"))

    delivery = [(e.event, e.channel, e.route) for e in record.history if e.event in DELIVERY_EVENTS]
    assert delivery == [
        (HistoryEventKind.CHANNEL_TRIED, Channel.EINVOICE, RouteName.PEPPOL),
        (HistoryEventKind.CHANNEL_REJECTED, Channel.EINVOICE, RouteName.PEPPOL),
        (HistoryEventKind.CHANNEL_TRIED, Channel.EMAIL, RouteName.EMAIL),
        (HistoryEventKind.SENT, Channel.EMAIL, RouteName.EMAIL),
    ]
    # Events about no document carry no route.
    assert {e.route for e in record.history if e.event not in DELIVERY_EVENTS} == {None}


@pytest.mark.parametrize(
    ("customer", "channel", "route"),
    [
        ({}, Channel.EINVOICE, RouteName.FINVOICE),
        (
            {"einvoice_address": "0216:003701120389", "einvoice_operator": None},
            Channel.EINVOICE,
            RouteName.PEPPOL,
        ),
        ({"einvoice_address": None}, Channel.EMAIL, RouteName.EMAIL),
        ({"einvoice_address": None, "email": None}, Channel.PRINT, RouteName.PRINT),
    ],
)
def test_r19_the_sent_entry_names_the_route_that_carried_the_invoice(
    build: Any, customer: dict[str, Any], channel: Channel, route: RouteName
) -> None:
    invoice = Invoice.model_validate(build.invoice_dict(customer=build.business_customer(**customer)))
    record = _dispatched(build, invoice)
    [sent] = [e for e in record.history if e.event is HistoryEventKind.SENT]
    assert (sent.channel, sent.route) == (channel, route)


def test_r30_each_routes_label_is_its_catalogue_message_in_every_language() -> None:
    for route in ROUTES:
        # The registry's English label is the message id: one source for the words.
        assert MESSAGES[route.label_code] == route.label
    assert render_label(RouteName.EMAIL) == {"fi": "sähköposti", "sv": "e-post", "en": "email"}
    assert render_label(RouteName.PEPPOL)["sv"] == "Peppol BIS Billing 3.0"
    assert render_label(RouteName.PRINT)["sv"] == "brev via utskriftstjänsten"


def render_label(route: RouteName) -> dict[str, str]:
    from autodispatch.models.report import route_label

    return {language.value: render(route_label(route), language) for language in Language}


def test_r19_r30_the_api_history_names_the_route_in_the_readers_language_the_report_does_not(
    build: Any,
) -> None:
    record = _dispatched(build, _peppol_invoice(build, "9999:12345"))

    entry = invoice_model(record, language=Language.SV)
    labelled = [(h.event, h.route, h.route_label) for h in entry.history if h.route is not None]
    assert labelled == [
        (HistoryEventKind.CHANNEL_TRIED, RouteName.PEPPOL, "Peppol BIS Billing 3.0"),
        (HistoryEventKind.CHANNEL_REJECTED, RouteName.PEPPOL, "Peppol BIS Billing 3.0"),
        (HistoryEventKind.CHANNEL_TRIED, RouteName.EMAIL, "e-post"),
        (HistoryEventKind.SENT, RouteName.EMAIL, "e-post"),
    ]
    # The run report's (and the CLI's --json) history keeps exactly its documented fields.
    report = entry_json(invoice_model(record))
    assert {frozenset(h) for h in report["history"]} == {frozenset({"at", "event", "channel", "detail"})}
