"""R11-R18: the channel chain, channel usability, factoring route and direct payment."""

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodispatch.models.dispatch import Outcome, Verdict
from autodispatch.models.enums import CHAIN_ORDER, Channel, CustomerType, DeliveryKind
from autodispatch.models.scenario import Address, Customer
from autodispatch.rules.chain import (
    DIRECT_PAYMENT_TO_BUSINESS,
    chosen_channel_refusal,
    decide,
    plan_dispatch,
)
from autodispatch.rules.factoring import factoring_route
from autodispatch.rules.usability import (
    Unusable,
    channel_unusable,
    einvoice_unusable,
    email_unusable,
    missing_address_parts,
    print_unusable,
)

EINVOICE, EMAIL, PRINT = Channel.EINVOICE, Channel.EMAIL, Channel.PRINT
ALL = ["EINVOICE", "EMAIL", "PRINT"]


def _reason(problem: Unusable | None) -> str | None:
    return problem.reason if problem is not None else None


def _tenant(build, channels=ALL, **settings_overrides):
    return build.tenant({"channels": channels, **settings_overrides})


def _channels(decision):
    return [note.channel for note in decision.notes]


def _verdicts(decision):
    return [(note.channel, note.verdict) for note in decision.notes]


def _reject(decision, rejected):
    return {**rejected, decision.channel: f"{decision.channel} rejected the invoice"}


# --- R11 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("own", list(Channel))
def test_r11_own_channel_not_enabled_ignores_the_invoice(build, own):
    enabled = [channel.value for channel in Channel if channel is not own]
    decision = decide(build.invoice(delivery_channel=own.value), _tenant(build, enabled))
    assert decision.outcome is Outcome.IGNORE
    assert decision.channel is None
    assert own.value in decision.reason
    assert "settings" in decision.reason
    assert _verdicts(decision) == [(own, Verdict.NOT_ENABLED)]


def test_r11_ignore_even_when_a_later_channel_could_deliver(build):
    # Own EMAIL disabled; PRINT enabled and usable: still IGNORED, not moved along the chain.
    decision = decide(build.invoice(delivery_channel="EMAIL"), _tenant(build, ["EINVOICE", "PRINT"]))
    assert decision.outcome is Outcome.IGNORE


# --- R12 --------------------------------------------------------------------------------------


def test_r12_all_enabled_and_usable_sends_by_own_einvoice(build):
    decision = decide(build.invoice(), _tenant(build))
    assert (decision.outcome, decision.channel, decision.kind) == (
        Outcome.SEND,
        EINVOICE,
        DeliveryKind.INVOICE,
    )
    assert _verdicts(decision) == [(EINVOICE, Verdict.CHOSEN)]


def test_r12_falls_back_from_einvoice_to_email(build):
    customer = build.business_customer(einvoice_address=build.OMIT, einvoice_operator=build.OMIT)
    decision = decide(build.invoice(customer=customer), _tenant(build))
    assert (decision.outcome, decision.channel) == (Outcome.SEND, EMAIL)
    assert _verdicts(decision) == [(EINVOICE, Verdict.UNUSABLE), (EMAIL, Verdict.CHOSEN)]


def test_r12_falls_back_from_einvoice_through_email_to_print(build):
    customer = build.business_customer(einvoice_address=build.OMIT, email=build.OMIT)
    decision = decide(build.invoice(customer=customer), _tenant(build))
    assert (decision.outcome, decision.channel) == (Outcome.SEND, PRINT)
    assert _verdicts(decision) == [
        (EINVOICE, Verdict.UNUSABLE),
        (EMAIL, Verdict.UNUSABLE),
        (PRINT, Verdict.CHOSEN),
    ]


def test_r12_email_disabled_tries_einvoice_only_and_not_print(build):
    # PRINT is enabled and the address is complete, but the chain stops at the disabled EMAIL.
    customer = build.business_customer(einvoice_address=build.OMIT)
    decision = decide(build.invoice(customer=customer), _tenant(build, ["EINVOICE", "PRINT"]))
    assert decision.outcome is Outcome.FAIL
    assert _verdicts(decision) == [(EINVOICE, Verdict.UNUSABLE), (EMAIL, Verdict.NOT_ENABLED)]
    assert PRINT not in _channels(decision)


def test_r12_print_disabled_stops_after_email(build):
    customer = build.business_customer(einvoice_address=build.OMIT, email="broken")
    decision = decide(build.invoice(customer=customer), _tenant(build, ["EINVOICE", "EMAIL"]))
    assert decision.outcome is Outcome.FAIL
    assert _verdicts(decision) == [
        (EINVOICE, Verdict.UNUSABLE),
        (EMAIL, Verdict.UNUSABLE),
        (PRINT, Verdict.NOT_ENABLED),
    ]


def test_r12_a_later_disabled_channel_does_not_matter_when_own_channel_works(build):
    decision = decide(build.invoice(), _tenant(build, ["EINVOICE"]))
    assert (decision.outcome, decision.channel) == (Outcome.SEND, EINVOICE)


@pytest.mark.parametrize(("own", "expected"), [("EMAIL", EMAIL), ("PRINT", PRINT)])
def test_r12_dispatch_starts_at_own_channel_never_before_it(build, own, expected):
    # The customer could take an e-invoice, but the invoice's own channel comes first.
    decision = decide(build.invoice(delivery_channel=own), _tenant(build))
    assert (decision.outcome, decision.channel) == (Outcome.SEND, expected)
    assert EINVOICE not in _channels(decision)


def test_r12_own_print_channel_unusable_fails_without_trying_earlier_channels(build):
    customer = build.business_customer(address=build.OMIT)
    decision = decide(build.invoice(delivery_channel="PRINT", customer=customer), _tenant(build))
    assert decision.outcome is Outcome.FAIL
    assert _verdicts(decision) == [(PRINT, Verdict.UNUSABLE)]


def test_r12_rejection_moves_on_to_next_enabled_channel(build):
    decision = decide(build.invoice(), _tenant(build), {EINVOICE: "operator refused: unknown address"})
    assert (decision.outcome, decision.channel) == (Outcome.SEND, EMAIL)
    assert decision.notes[0].verdict is Verdict.REJECTED
    assert decision.notes[0].reason == "operator refused: unknown address"


def test_r12_rejection_stops_when_next_channel_is_disabled(build):
    decision = decide(build.invoice(), _tenant(build, ["EINVOICE", "PRINT"]), {EINVOICE: "refused"})
    assert decision.outcome is Outcome.FAIL
    assert _verdicts(decision) == [(EINVOICE, Verdict.REJECTED), (EMAIL, Verdict.NOT_ENABLED)]


def test_r12_two_rejections_reach_print(build):
    decision = decide(build.invoice(), _tenant(build), {EINVOICE: "refused", EMAIL: "bounced"})
    assert (decision.outcome, decision.channel) == (Outcome.SEND, PRINT)


def test_r12_all_three_rejected_fails(build):
    rejected = {EINVOICE: "refused", EMAIL: "bounced", PRINT: "returned"}
    decision = decide(build.invoice(), _tenant(build), rejected)
    assert decision.outcome is Outcome.FAIL
    assert [note.verdict for note in decision.notes] == [Verdict.REJECTED] * 3


# --- R13 --------------------------------------------------------------------------------------


def test_r13_business_with_address_operator_and_complete_address_can_take_einvoice(build):
    assert einvoice_unusable(build.invoice(), _tenant(build)) is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"einvoice_address": "OMIT"}, "e-invoice address"),
        ({"einvoice_operator": "OMIT"}, "operator"),
        ({"einvoice_address": "OMIT", "einvoice_operator": "OMIT"}, "e-invoice address"),
        ({"einvoice_address": ""}, "e-invoice address"),
        ({"einvoice_address": "   "}, "e-invoice address"),
        ({"einvoice_operator": " "}, "operator"),
        ({"address": "OMIT"}, "postal address"),
        ({"name": " "}, "name"),
    ],
)
def test_r13_business_einvoice_needs_address_operator_and_complete_address(build, overrides, expected):
    customer = build.business_customer(
        **{key: build.OMIT if value == "OMIT" else value for key, value in overrides.items()}
    )
    invoice = build.invoice(customer=customer)
    reason = _reason(einvoice_unusable(invoice, _tenant(build)))
    assert reason is not None
    assert expected in reason
    assert decide(invoice, _tenant(build, ["EINVOICE"])).outcome is Outcome.FAIL


def test_r13_consumer_with_consent_and_tenant_consumer_einvoicing_can_take_einvoice(build):
    invoice = build.invoice(customer=build.consumer_customer(einvoice_consent=build.CONSENT))
    assert einvoice_unusable(invoice, _tenant(build, consumer_einvoicing=True)) is None
    assert decide(invoice, _tenant(build, consumer_einvoicing=True)).channel is EINVOICE


def test_r13_consumer_einvoice_needs_tenant_consumer_einvoicing(build):
    invoice = build.invoice(customer=build.consumer_customer(einvoice_consent=build.CONSENT))
    reason = _reason(einvoice_unusable(invoice, _tenant(build, consumer_einvoicing=False)))
    assert reason is not None
    assert "consumer e-invoicing" in reason


def test_r13_consumer_einvoice_needs_receiving_consent(build):
    invoice = build.invoice(customer=build.consumer_customer())
    reason = _reason(einvoice_unusable(invoice, _tenant(build)))
    assert reason is not None
    assert "accepted e-invoices" in reason


def test_r13_consumer_address_fields_without_consent_do_not_count(build):
    customer = build.consumer_customer(einvoice_address="FI7944052020036082", einvoice_operator="NDEAFIHH")
    assert einvoice_unusable(build.invoice(customer=customer), _tenant(build)) is not None


def test_r13_consumer_einvoice_needs_complete_address(build):
    customer = build.consumer_customer(einvoice_consent=build.CONSENT, address=build.OMIT)
    reason = _reason(einvoice_unusable(build.invoice(customer=customer), _tenant(build)))
    assert reason is not None
    assert "postal address" in reason


def test_r13_consumer_without_consent_falls_back_to_email(build):
    decision = decide(build.invoice(customer=build.consumer_customer()), _tenant(build))
    assert (decision.outcome, decision.channel) == (Outcome.SEND, EMAIL)


# --- R14 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["matti@example.fi", "Matti.Meikalainen+laskut@sub.example.com"])
def test_r14_valid_email_can_be_used(build, email):
    invoice = build.invoice(delivery_channel="EMAIL", customer=build.consumer_customer(email=email))
    assert email_unusable(invoice) is None


@pytest.mark.parametrize("email", [None, "", "   "])
def test_r14_missing_email_cannot_be_used(build, email):
    customer = build.consumer_customer(email=email)
    reason = _reason(email_unusable(build.invoice(delivery_channel="EMAIL", customer=customer)))
    assert reason == "the customer has no email address"


@pytest.mark.parametrize(
    "email", ["matti", "matti@example", "matti@@example.fi", "@example.fi", "matti @x.fi"]
)
def test_r14_invalid_email_cannot_be_used(build, email):
    customer = build.consumer_customer(email=email)
    reason = _reason(email_unusable(build.invoice(delivery_channel="EMAIL", customer=customer)))
    assert reason == "the customer's email address is not valid"


def test_r14_invalid_email_falls_back_to_print(build):
    customer = build.consumer_customer(email="not-an-address")
    decision = decide(build.invoice(delivery_channel="EMAIL", customer=customer), _tenant(build))
    assert (decision.outcome, decision.channel) == (Outcome.SEND, PRINT)
    assert decision.notes[0].reason == "the customer's email address is not valid"


# --- R15 --------------------------------------------------------------------------------------


def _constructed(customer_name="Rakennus Oy", **address):
    # model_construct skips the import checks, so the rule's own checks are what is tested here.
    fields = {
        "street": ["Teollisuustie 3"],
        "postcode": "00510",
        "town": "Helsinki",
        "country": "FI",
        **address,
    }
    return Customer.model_construct(
        type=CustomerType.BUSINESS, name=customer_name, address=Address.model_construct(**fields)
    )


@pytest.mark.parametrize(
    ("customer", "missing"),
    [
        (_constructed(), []),
        (_constructed(customer_name=" "), ["name"]),
        (_constructed(street=["  "]), ["street"]),
        (_constructed(street=["", " "]), ["street"]),
        (_constructed(postcode=""), ["postcode"]),
        (_constructed(town="\t"), ["town"]),
        (_constructed(country=""), ["country"]),
        (_constructed(customer_name="", postcode="", town=""), ["name", "postcode", "town"]),
        (Customer.model_construct(type=CustomerType.BUSINESS, name="X", address=None), ["postal address"]),
        (
            Customer.model_construct(type=CustomerType.BUSINESS, name="", address=None),
            ["name", "postal address"],
        ),
    ],
)
def test_r15_missing_address_parts_names_each_part(customer, missing):
    assert missing_address_parts(customer) == missing


def test_r15_street_with_one_nonblank_line_is_complete():
    assert missing_address_parts(_constructed(street=["", "Teollisuustie 3"])) == []


@pytest.mark.parametrize("part", ["street", "postcode", "town", "country"])
def test_r15_print_needs_each_address_part(build, part):
    value = [" "] if part == "street" else " "
    customer = _constructed(**{part: value})
    invoice = build.invoice(delivery_channel="PRINT").model_copy(update={"customer": customer})
    reason = _reason(print_unusable(invoice))
    assert reason is not None
    assert f"missing: {part}" in reason


def test_r15_print_without_postal_address_fails(build):
    customer = build.consumer_customer(address=build.OMIT, email=build.OMIT)
    decision = decide(build.invoice(delivery_channel="PRINT", customer=customer), _tenant(build))
    assert decision.outcome is Outcome.FAIL
    assert "postal address" in decision.notes[0].reason


def test_r15_print_with_complete_address_is_usable(build):
    assert print_unusable(build.invoice(delivery_channel="PRINT")) is None


@pytest.mark.parametrize("channel", list(Channel))
def test_r13_r14_r15_channel_unusable_dispatches_to_the_channels_check(build, channel):
    customer = build.consumer_customer(email="bad", address=build.OMIT)
    invoice = build.invoice(customer=customer)
    expected = {
        EINVOICE: einvoice_unusable(invoice, _tenant(build)),
        EMAIL: email_unusable(invoice),
        PRINT: print_unusable(invoice),
    }[channel]
    assert expected is not None
    assert channel_unusable(channel, invoice, _tenant(build)) == expected


# --- R16 --------------------------------------------------------------------------------------


def test_r16_failed_notes_list_every_channel_tried_in_order(build):
    customer = build.consumer_customer(email=build.OMIT, address=build.OMIT)
    decision = decide(build.invoice(customer=customer), _tenant(build))
    assert decision.outcome is Outcome.FAIL
    assert _verdicts(decision) == [
        (EINVOICE, Verdict.UNUSABLE),
        (EMAIL, Verdict.UNUSABLE),
        (PRINT, Verdict.UNUSABLE),
    ]
    assert all(note.reason for note in decision.notes)
    assert decision.reason == (
        "no e-invoice consent, no email address and incomplete postal address"
    )  # R16: the reasons, not only the channels


def test_r16_failed_reason_mixes_rejections_and_unusable_in_order(build):
    customer = build.business_customer(address=build.OMIT)
    decision = decide(build.invoice(customer=customer), _tenant(build), {EMAIL: "mailbox full"})
    assert decision.outcome is Outcome.FAIL
    assert _verdicts(decision) == [
        (EINVOICE, Verdict.UNUSABLE),
        (EMAIL, Verdict.REJECTED),
        (PRINT, Verdict.UNUSABLE),
    ]
    assert decision.notes[1].reason == "mailbox full"
    assert decision.reason == (
        "incomplete address for an e-invoice, the email rejected it and incomplete postal address"
    )


def test_r16_failed_reason_does_not_count_the_disabled_channel_as_tried(build):
    customer = build.business_customer(einvoice_address=build.OMIT)
    decision = decide(build.invoice(customer=customer), _tenant(build, ["EINVOICE", "PRINT"]))
    assert decision.reason == "no e-invoice address; email not enabled"


def test_r16_send_decision_names_the_channel(build):
    decision = decide(build.invoice(delivery_channel="EMAIL"), _tenant(build))
    assert decision.outcome is Outcome.SEND
    assert decision.channel is EMAIL
    assert decision.notes[-1].verdict is Verdict.CHOSEN


# --- R17 --------------------------------------------------------------------------------------

AGREEMENT_EMAIL = {
    "financier_name": "Rahoitus Oy",
    "agreement_id": "FA-1",
    "email": "factoring@rahoitus.example",
}
AGREEMENT_EINVOICE = {
    "financier_name": "Rahoitus Oy",
    "agreement_id": "FA-1",
    "einvoice_address": "003712345671",
    "einvoice_operator": "003721291126",
}
AGREEMENT_BOTH = {**AGREEMENT_EMAIL, **AGREEMENT_EINVOICE}


@pytest.mark.parametrize(
    ("agreement", "marked", "expected"),
    [
        (AGREEMENT_BOTH, True, EINVOICE),
        (AGREEMENT_EINVOICE, True, EINVOICE),
        (AGREEMENT_EMAIL, True, EMAIL),
        (None, True, None),
        (AGREEMENT_BOTH, False, None),
        (None, False, None),
    ],
)
def test_r17_factoring_route_prefers_einvoice_and_needs_agreement_and_flag(
    build, agreement, marked, expected
):
    tenant = build.tenant(factoring=agreement)
    route = factoring_route(build.invoice(factoring=marked), tenant)
    if expected is None:
        assert route is None
    else:
        assert route is not None
        assert route.channel is expected
        assert route.agreement == tenant.factoring


def test_r17_factoring_does_not_change_the_invoice_chain(build):
    tenant = build.tenant(factoring=AGREEMENT_EMAIL)
    decision = decide(build.invoice(factoring=True), tenant)
    assert (decision.outcome, decision.channel, decision.kind) == (
        Outcome.SEND,
        EINVOICE,
        DeliveryKind.INVOICE,
    )


@pytest.mark.parametrize(
    "agreement",
    [
        {"financier_name": "Rahoitus Oy", "agreement_id": "FA-1"},
        {**AGREEMENT_EMAIL, "einvoice_address": "003712345671"},
    ],
)
def test_r17_factoring_agreement_needs_a_complete_destination(build, agreement):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        build.tenant(factoring=agreement)


# --- R18 --------------------------------------------------------------------------------------

DIRECT = "DIRECT_PAYMENT"
CHANNEL_SETS_WITHOUT_BOTH = [
    list(subset)
    for size in range(1, 4)
    for subset in combinations(ALL, size)
    if not {"EINVOICE", "PRINT"} <= set(subset)
]


@pytest.mark.parametrize("channels", CHANNEL_SETS_WITHOUT_BOTH, ids="+".join)
def test_r18_direct_payment_ignored_unless_einvoice_and_print_enabled(build, channels):
    invoice = build.invoice(
        payment_method=DIRECT,
        delivery_channel=channels[0],
        customer=build.consumer_customer(einvoice_consent=build.CONSENT),
    )
    decision = decide(invoice, _tenant(build, channels))
    assert decision.outcome is Outcome.IGNORE
    assert decision.kind is DeliveryKind.DIRECT_PAYMENT_NOTICE
    assert "EINVOICE and PRINT" in decision.reason
    for missing in {"EINVOICE", "PRINT"} - set(channels):
        assert f"{missing}" in decision.reason.split("(")[-1]


@pytest.mark.parametrize("own", ALL)
def test_r18_direct_payment_with_consent_goes_by_consumer_einvoice(build, own):
    customer = build.consumer_customer(einvoice_consent=build.CONSENT)
    decision = decide(
        build.invoice(payment_method=DIRECT, delivery_channel=own, customer=customer), _tenant(build)
    )
    assert (decision.outcome, decision.channel, decision.kind) == (
        Outcome.SEND,
        EINVOICE,
        DeliveryKind.DIRECT_PAYMENT_NOTICE,
    )


@pytest.mark.parametrize("own", ALL)
def test_r18_direct_payment_without_consent_goes_by_print_never_email(build, own):
    customer = build.consumer_customer()  # has a valid email, which R18 does not use
    decision = decide(
        build.invoice(payment_method=DIRECT, delivery_channel=own, customer=customer), _tenant(build)
    )
    assert (decision.outcome, decision.channel, decision.kind) == (
        Outcome.SEND,
        PRINT,
        DeliveryKind.DIRECT_PAYMENT_NOTICE,
    )
    assert _verdicts(decision) == [(EINVOICE, Verdict.UNUSABLE), (PRINT, Verdict.CHOSEN)]


def test_r18_direct_payment_consent_without_consumer_einvoicing_goes_by_print(build):
    customer = build.consumer_customer(einvoice_consent=build.CONSENT)
    decision = decide(
        build.invoice(payment_method=DIRECT, customer=customer), _tenant(build, consumer_einvoicing=False)
    )
    assert decision.channel is PRINT


def test_r18_direct_payment_works_with_email_disabled(build):
    customer = build.consumer_customer()
    decision = decide(
        build.invoice(payment_method=DIRECT, customer=customer), _tenant(build, ["EINVOICE", "PRINT"])
    )
    assert (decision.outcome, decision.channel) == (Outcome.SEND, PRINT)


def test_r18_direct_payment_einvoice_rejected_falls_back_to_print(build):
    customer = build.consumer_customer(einvoice_consent=build.CONSENT)
    invoice = build.invoice(payment_method=DIRECT, customer=customer)
    decision = decide(invoice, _tenant(build), {EINVOICE: "bank refused"})
    assert (decision.outcome, decision.channel) == (Outcome.SEND, PRINT)
    assert _verdicts(decision) == [(EINVOICE, Verdict.REJECTED), (PRINT, Verdict.CHOSEN)]


def test_r18_direct_payment_without_consent_or_address_fails(build):
    customer = build.consumer_customer(address=build.OMIT)
    decision = decide(build.invoice(payment_method=DIRECT, customer=customer), _tenant(build))
    assert decision.outcome is Outcome.FAIL
    assert decision.kind is DeliveryKind.DIRECT_PAYMENT_NOTICE
    assert _verdicts(decision) == [(EINVOICE, Verdict.UNUSABLE), (PRINT, Verdict.UNUSABLE)]


def test_r18_bank_transfer_is_a_plain_invoice(build):
    assert decide(build.invoice(payment_method="BANK_TRANSFER"), _tenant(build)).kind is DeliveryKind.INVOICE


# --- properties -------------------------------------------------------------------------------


@st.composite
def chain_cases(draw):
    """A random tenant, invoice and set of permanent rejections, built through the real models."""
    channels = draw(st.lists(st.sampled_from(ALL), unique=True))
    consumer = draw(st.booleans())
    customer = {
        "type": "CONSUMER" if consumer else "BUSINESS",
        "name": draw(st.sampled_from(["Asiakas Oy", " "])),
    }
    if draw(st.booleans()):
        customer["einvoice_address"] = draw(st.sampled_from(["003701120389", "  "]))
    if draw(st.booleans()):
        customer["einvoice_operator"] = "003721291126"
    if consumer and draw(st.booleans()):
        customer["einvoice_consent"] = {"address": "FI7944052020036082", "operator": "NDEAFIHH"}
    email = draw(st.sampled_from([None, "", "asiakas@example.fi", "not-an-email", "a@b"]))
    if email is not None:
        customer["email"] = email
    if draw(st.booleans()):
        customer["address"] = {"street": ["Katu 1"], "postcode": "00100", "town": "Helsinki", "country": "FI"}
    tenant_overrides = {"channels": channels, "consumer_einvoicing": draw(st.booleans())}
    invoice_overrides = {
        "delivery_channel": draw(st.sampled_from(ALL)),
        "payment_method": draw(st.sampled_from(["BANK_TRANSFER", "DIRECT_PAYMENT"])),
        "customer": customer,
    }
    rejected = {
        Channel(channel): f"{channel} refused"
        for channel in draw(st.lists(st.sampled_from(ALL), unique=True))
    }
    return tenant_overrides, invoice_overrides, rejected


def _usable(channel, invoice, tenant):
    return channel_unusable(channel, invoice, tenant) is None


@settings(max_examples=400, deadline=None)
@given(case=chain_cases())
def test_r12_r13_r14_r15_chosen_channel_is_enabled_usable_and_not_rejected(build, case):
    tenant_overrides, invoice_overrides, rejected = case
    tenant, invoice = build.tenant(tenant_overrides), build.invoice(**invoice_overrides)
    decision = decide(invoice, tenant, rejected)
    if decision.outcome is Outcome.SEND:
        assert decision.channel in tenant.settings.channels
        assert decision.channel not in rejected
        assert _usable(decision.channel, invoice, tenant)
        assert decision.notes[-1].channel is decision.channel
        assert decision.notes[-1].verdict is Verdict.CHOSEN
    else:
        assert decision.channel is None
        assert all(note.verdict is not Verdict.CHOSEN for note in decision.notes)


@settings(max_examples=400, deadline=None)
@given(case=chain_cases())
def test_r11_r12_chain_starts_at_own_channel_and_never_skips_a_disabled_one(build, case):
    tenant_overrides, invoice_overrides, rejected = case
    invoice_overrides["payment_method"] = "BANK_TRANSFER"
    tenant, invoice = build.tenant(tenant_overrides), build.invoice(**invoice_overrides)
    decision = decide(invoice, tenant, rejected)
    own = invoice.delivery_channel
    enabled = tenant.settings.channels
    assert (decision.outcome is Outcome.IGNORE) == (own not in enabled)
    considered = _channels(decision)
    start = CHAIN_ORDER.index(own)
    # The notes are a contiguous stretch of the chain starting at the own channel.
    assert considered == list(CHAIN_ORDER[start : start + len(considered)])
    # Every channel before the last considered one was enabled; a disabled one ends the chain.
    for note in decision.notes[:-1]:
        assert note.channel in enabled
    if decision.outcome is Outcome.SEND:
        assert CHAIN_ORDER.index(decision.channel) >= start
        # Every skipped channel on the way was enabled and could not be used (or rejected).
        for note in decision.notes[:-1]:
            assert note.channel in rejected or not _usable(note.channel, invoice, tenant)


@settings(max_examples=400, deadline=None)
@given(case=chain_cases())
def test_r16_fail_lists_channels_in_chain_order_with_reasons(build, case):
    tenant_overrides, invoice_overrides, rejected = case
    tenant, invoice = build.tenant(tenant_overrides), build.invoice(**invoice_overrides)
    decision = decide(invoice, tenant, rejected)
    if decision.outcome is not Outcome.FAIL or decision.reason == DIRECT_PAYMENT_TO_BUSINESS:
        return  # a direct-payment invoice to a business fails before any channel (R18)
    positions = [CHAIN_ORDER.index(channel) for channel in _channels(decision)]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert decision.notes
    for note in decision.notes:
        assert note.reason
        if note.verdict is Verdict.REJECTED:
            assert note.reason == rejected[note.channel]
    # R16: the one-line reason names why each channel tried could not be used, in order.
    summaries = [note.summary for note in decision.notes if note.verdict is not Verdict.NOT_ENABLED]
    assert all(summaries)
    positions = [decision.reason.index(summary) for summary in dict.fromkeys(summaries)]
    assert positions == sorted(positions)


@settings(max_examples=400, deadline=None)
@given(case=chain_cases())
def test_r12_r16_reject_and_decide_again_loop_ends_in_fail_after_at_most_3_sends(build, case):
    tenant_overrides, invoice_overrides, _ = case
    tenant, invoice = build.tenant(tenant_overrides), build.invoice(**invoice_overrides)
    rejected = {}
    sent = []
    for _attempt in range(4):
        decision = decide(invoice, tenant, rejected)
        if decision.outcome is not Outcome.SEND:
            break
        sent.append(decision.channel)
        rejected = _reject(decision, rejected)
    else:
        pytest.fail("more than 3 channels were tried")
    assert len(sent) <= 3
    assert len(set(sent)) == len(sent)
    # The loop only ends in IGNORE when nothing was ever sent.
    assert decision.outcome is Outcome.FAIL or (decision.outcome is Outcome.IGNORE and not sent)
    if decision.outcome is Outcome.FAIL and sent:
        rejected_notes = [note.channel for note in decision.notes if note.verdict is Verdict.REJECTED]
        assert rejected_notes == sent
    # Channels are tried in chain order.
    assert [CHAIN_ORDER.index(channel) for channel in sent] == sorted(CHAIN_ORDER.index(c) for c in sent)


@settings(max_examples=200, deadline=None)
@given(case=chain_cases())
def test_r18_direct_payment_never_uses_email(build, case):
    tenant_overrides, invoice_overrides, rejected = case
    invoice_overrides["payment_method"] = "DIRECT_PAYMENT"
    tenant, invoice = build.tenant(tenant_overrides), build.invoice(**invoice_overrides)
    decision = decide(invoice, tenant, rejected)
    assert decision.kind is DeliveryKind.DIRECT_PAYMENT_NOTICE
    assert EMAIL not in _channels(decision)
    if invoice.customer.type is CustomerType.BUSINESS:
        assert (decision.outcome, decision.reason) == (Outcome.FAIL, DIRECT_PAYMENT_TO_BUSINESS)
        return
    both = {EINVOICE, PRINT} <= set(tenant.settings.channels)
    assert (decision.outcome is Outcome.IGNORE) == (not both)
    if decision.outcome is Outcome.SEND and decision.channel is PRINT:
        assert EINVOICE in rejected or einvoice_unusable(invoice, tenant) is not None


def test_r16_failed_message_names_the_main_reason_not_only_the_channels(build):
    customer = build.consumer_customer(email=build.OMIT, address=build.OMIT)
    invoice = build.invoice(delivery_channel="EMAIL", customer=customer)
    plan = plan_dispatch(invoice, _tenant(build))
    assert plan.unsent().message == (
        "Automatic dispatch failed: no email address and incomplete postal address"
    )
    assert "1. EMAIL (cannot be used): the customer has no email address" in plan.unsent().details


@pytest.mark.parametrize("channels", [ALL, ["EMAIL"], ["EINVOICE", "PRINT"]], ids="+".join)
def test_r18_direct_payment_to_a_business_fails_naming_payment_method(build, channels):
    invoice = build.invoice(payment_method=DIRECT, delivery_channel="EMAIL")
    assert invoice.customer.type is CustomerType.BUSINESS
    plan = plan_dispatch(invoice, _tenant(build, channels))
    assert plan.channels == ()
    explanation = plan.unsent()
    assert explanation.message == f"Automatic dispatch failed: {DIRECT_PAYMENT_TO_BUSINESS}"
    assert "payment_method" in explanation.message
    # A manual send is refused for the same reason, whatever the channel chosen (R22).
    for channel in Channel:
        assert chosen_channel_refusal(invoice, _tenant(build), channel) == DIRECT_PAYMENT_TO_BUSINESS


def test_r18_before_r11_direct_payment_does_not_depend_on_the_invoices_own_channel(build):
    """R11 would ignore an invoice whose own channel (EMAIL) is disabled; a direct-payment invoice
    goes as its pre-notification by the channels R18 names, so R18 decides first."""
    tenant = _tenant(build, ["EINVOICE", "PRINT"])
    consumer = build.consumer_customer()
    by_transfer = decide(build.invoice(delivery_channel="EMAIL", customer=consumer), tenant)
    assert by_transfer.outcome is Outcome.IGNORE  # R11
    direct = build.invoice(payment_method=DIRECT, delivery_channel="EMAIL", customer=consumer)
    assert (decide(direct, tenant).outcome, decide(direct, tenant).channel) == (Outcome.SEND, PRINT)
    # And with EINVOICE or PRINT disabled, R18's reason (not R11's) is given.
    ignored = decide(direct, _tenant(build, ["EMAIL", "PRINT"]))
    assert ignored.outcome is Outcome.IGNORE
    assert "EINVOICE and PRINT" in (ignored.reason or "")
