"""R4, R12, R13, R23: the route table describes each delivery route once, and the chain, the deliverer
and recovery read it: the Peppol participant gets Peppol BIS 3 through the access point, the OVT
address Finvoice through the operator, and an e-invoice that breaks its network's rules never
leaves (the chain goes on with the rule named)."""

import re
from typing import Any

import pytest

from autodispatch.channels import peppol_rules
from autodispatch.channels.registry import renderer, validator
from autodispatch.errors import BrokenRule, PermanentRejection, RulesBroken
from autodispatch.i18n import render
from autodispatch.models.enums import CHAIN_ORDER, AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import ROUTES, RouteName, channels_before, repeat_safe, route_for
from autodispatch.models.scenario import Invoice
from autodispatch.rules.chain import plan_dispatch
from autodispatch.rules.explain import error_text
from tests.fakes.channels import Parts
from tests.words import en


def peppol_invoice(build: Any, address: str = "0216:003701120389", **overrides: Any) -> Invoice:
    customer = build.business_customer(einvoice_address=address)
    customer.pop("einvoice_operator")
    return Invoice.model_validate(build.invoice_dict(customer=customer, **overrides))


def test_r4_every_route_names_a_renderer_and_validator_that_load() -> None:
    for route in ROUTES:
        assert callable(renderer(route)), route.name
        assert route.validator is None or callable(validator(route)), route.name
    # Every e-invoice route has a validation gate.
    assert all(route.validator for route in ROUTES if route.channel is Channel.EINVOICE)
    # The table lists the routes in the chain's order (R12).
    channels = list(dict.fromkeys(route.channel for route in ROUTES))
    assert channels == list(CHAIN_ORDER)


def test_r23_repeat_safety_is_stated_per_route_and_read_per_channel() -> None:
    assert {route.name: route.repeat_safe for route in ROUTES} == {
        RouteName.PEPPOL: True,
        RouteName.FINVOICE: True,
        RouteName.EMAIL: False,
        RouteName.PRINT: True,
    }
    assert [repeat_safe(channel) for channel in CHAIN_ORDER] == [True, False, True]
    assert channels_before(Channel.EMAIL) == (Channel.EINVOICE,)
    assert channels_before(Channel.PRINT) == (Channel.EINVOICE, Channel.EMAIL)


@pytest.mark.parametrize(
    ("address", "route"),
    [
        ("0216:003701120389", RouteName.PEPPOL),
        ("0037:01120389", RouteName.PEPPOL),
        (" 0088:4000001123452 ", RouteName.PEPPOL),
        ("003701120389", RouteName.FINVOICE),
        ("FI7944052020036082", RouteName.FINVOICE),
        ("216:003701120389", RouteName.FINVOICE),
    ],
)
def test_r13_the_einvoice_route_follows_the_receivers_address(
    build: Any, address: str, route: RouteName
) -> None:
    invoice = Invoice.model_validate(
        build.invoice_dict(customer=build.business_customer(einvoice_address=address))
    )
    assert route_for(Channel.EINVOICE, invoice).name is route
    assert route_for(Channel.EMAIL, invoice).name is RouteName.EMAIL


def test_r13_a_peppol_participant_needs_no_operator(build: Any) -> None:
    invoice = peppol_invoice(build)
    plan = plan_dispatch(invoice, build.tenant())
    assert plan.channels[0] is Channel.EINVOICE


def test_r13_peppol_customer_gets_ubl_through_the_access_point_finvoice_customer_finvoice(build: Any) -> None:
    parts = Parts()
    tenant = build.tenant()

    peppol = parts.deliverer.deliver(peppol_invoice(build), tenant, Channel.EINVOICE, DeliveryKind.INVOICE)
    finvoice = parts.deliverer.deliver(
        Invoice.model_validate(build.invoice_dict(invoice_id="inv-2")),
        tenant,
        Channel.EINVOICE,
        DeliveryKind.INVOICE,
    )
    parts.deliverer.flush_archive()

    [(peppol_id, ubl, content_type, metadata)] = parts.peppol.submitted
    assert (peppol.message_id, content_type, metadata["channel"]) == (
        peppol_id,
        "application/xml",
        "EINVOICE",
    )
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in ubl
    assert peppol.archive_key.endswith(f"/EINVOICE/INVOICE/{peppol_id}.xml")
    [(_, finvoice_xml, _, _)] = parts.einvoice.submitted
    assert b"<Finvoice" in finvoice_xml
    assert finvoice.channel is Channel.EINVOICE


def test_r12_a_document_that_breaks_the_rules_never_leaves(
    build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = Parts()
    original = peppol_rules.broken_rules

    def without_buyer_reference(document: bytes) -> Any:
        broken = document.replace(b"<cbc:BuyerReference>", b"<cbc:Note>").replace(
            b"</cbc:BuyerReference>", b"</cbc:Note>"
        )
        return original(broken)

    monkeypatch.setattr(peppol_rules, "broken_rules", without_buyer_reference)

    with pytest.raises(RulesBroken) as refused:
        parts.deliverer.deliver(peppol_invoice(build), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE)

    assert isinstance(refused.value, PermanentRejection)  # the chain goes on (R12)
    assert [rule.rule_id for rule in refused.value.rules] == ["PEPPOL-EN16931-R003"]
    assert str(refused.value).startswith("the e-invoice breaks PEPPOL-EN16931-R003: ")
    assert parts.peppol.submitted == []
    assert parts.archive.taken == {}


def test_r12_a_peppol_id_the_network_does_not_know_is_refused_by_the_rules(build: Any) -> None:
    parts = Parts()
    with pytest.raises(RulesBroken) as refused:
        parts.deliverer.deliver(
            peppol_invoice(build, "9999:12345"), build.tenant(), Channel.EINVOICE, DeliveryKind.INVOICE
        )
    assert any(rule.rule_id.startswith(("PEPPOL-", "BR-")) for rule in refused.value.rules)
    assert parts.peppol.submitted == []


def test_r12_r19_an_einvoice_breaking_the_rules_goes_by_email_the_same_night_with_the_rule_named(
    build: Any,
) -> None:
    """With the real deliverer and gate: a Peppol id the network's code list does not know breaks
    the Peppol rules, so the e-invoice never leaves; the email goes instead, and the history names
    the rule."""
    from autodispatch.logic.dispatch import BatchDispatcher
    from tests.unit.test_logic_dispatch import LEASE, RUN, ZONE, World

    parts = Parts()
    world = World(build.tenant(), peppol_invoice(build, "9999:12345"))
    BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock).dispatch(
        RUN, list(world.store.items)
    )

    record = world.record()
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EMAIL)
    assert parts.peppol.submitted == []
    assert len(parts.email.sent) == 1
    rejected = next(event for event in record.history if event.event is HistoryEventKind.CHANNEL_REJECTED)
    assert rejected.channel is Channel.EINVOICE
    assert (en(rejected.detail) or "").startswith(
        "the e-invoice breaks BR-CL-25: Endpoint identifier scheme identifier MUST belong to the CEF EAS"
    )


# Words of an English sentence; the official rule texts are English, so they are taken out first.
_ENGLISH = re.compile(r"\b(the|breaks|and|more|rules?|is|not)\b", re.IGNORECASE)
_QUOTED = re.compile(r"”[^”]*”")


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fi", "verkkolasku rikkoo verkkolaskuverkon sääntöjä"),
        ("sv", "e-fakturan bryter mot e-fakturanätverkets regler"),
    ],
)
def test_r12_r30_the_gates_rejection_reads_in_the_readers_language_with_the_official_rule_quoted(
    build: Any, language: str, sentence: str
) -> None:
    """The rule texts of Peppol and Finvoice are English (the networks publish no others): our own
    sentence in the reader's language names each rule id and quotes its official text."""
    from autodispatch.logic.dispatch import BatchDispatcher
    from tests.unit.test_logic_dispatch import LEASE, RUN, ZONE, World

    parts = Parts()
    world = World(build.tenant(), peppol_invoice(build, "9999:12345"))
    BatchDispatcher(world.store, parts.deliverer, ZONE, LEASE, world.clock).dispatch(
        RUN, list(world.store.items)
    )
    rejected = next(e for e in world.record().history if e.event is HistoryEventKind.CHANNEL_REJECTED)
    assert rejected.detail is not None
    text = render(rejected.detail, language)
    assert text.startswith(sentence)
    assert "BR-CL-25: ”Endpoint identifier scheme identifier MUST belong to the CEF EAS" in text
    ours = _QUOTED.sub("", text)
    assert _ENGLISH.search(ours) is None, ours
    assert re.search(r"\b(EINVOICE|EMAIL|PRINT)\b|(?<![-\w])R\d+\b", ours) is None, ours


@pytest.mark.parametrize(("language", "more"), [("fi", "ja 2 muuta sääntöä"), ("sv", "och 2 andra regler")])
def test_r12_r30_a_rejection_quotes_three_rules_and_counts_the_rest(language: str, more: str) -> None:
    rules = [BrokenRule(f"BR-{number:02}", f"Official text {number}") for number in range(1, 6)]
    text = render(error_text(RulesBroken(rules)), language)
    assert re.findall(r"BR-\d+", text) == ["BR-01", "BR-02", "BR-03"]
    assert text.endswith(f"({more})")
