"""R25: blank or missing contact data is valid input that makes a channel unusable (R13-R15), never
an import error; the invoice then ends as the chain says (R12)."""

import pytest

from autodispatch.errors import InputError
from autodispatch.models.dispatch import Outcome, Verdict
from autodispatch.models.enums import Channel
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Invoice
from autodispatch.rules.chain import decide
from tests.words import en

BLANKS = ["", " ", "\u00a0 "]


def _imported(build, customer) -> Invoice:
    scenario = parse_scenario(build.scenario_dict(invoices=[build.invoice_dict(customer=customer)]))
    return scenario.invoices[0]


def _address_variants(build):
    """(label, customer address dict, the part R13/R15 name as missing)."""
    for part in ("postcode", "town", "country"):
        for blank in BLANKS:
            yield f"blank {part} {blank!r}", build.address_dict(**{part: blank}), part
        yield f"missing {part}", build.address_dict(**{part: build.OMIT}), part
    for street in ([], [""], [" ", "\u3000"]):
        yield f"street {street!r}", build.address_dict(street=street), "street"
    yield "missing street", build.address_dict(street=build.OMIT), "street"


def test_r25_blank_or_missing_address_parts_import(build):
    for label, address, _ in _address_variants(build):
        invoice = _imported(build, build.business_customer(address=address))
        assert invoice.customer.address is not None, label


def test_r13_r15_blank_address_part_makes_einvoice_and_print_unusable(build):
    tenant = build.tenant()
    for label, address, part in _address_variants(build):
        invoice = _imported(build, build.business_customer(address=address))
        decision = decide(invoice, tenant)
        # EINVOICE needs the complete address (R13); EMAIL still works (R12 fallback).
        assert decision.outcome is Outcome.SEND, label
        assert decision.channel is Channel.EMAIL, label
        einvoice = decision.notes[0]
        assert einvoice.verdict is Verdict.UNUSABLE, label
        assert f"missing: {part}" in en(einvoice.reason), label


def test_r15_blank_postcode_fails_a_print_invoice_with_the_reason(build):
    tenant = build.tenant(settings={"channels": ["PRINT"]})
    invoice = _imported(
        build,
        build.business_customer(address=build.address_dict(postcode=" ")),
    )
    invoice = invoice.model_copy(update={"delivery_channel": Channel.PRINT})
    decision = decide(invoice, tenant)
    assert decision.outcome is Outcome.FAIL
    assert decision.notes[0].channel is Channel.PRINT
    assert en(decision.notes[0].reason) == (
        "the customer's address details are incomplete for a letter (missing: postcode)"
    )


@pytest.mark.parametrize("blank", BLANKS)
def test_r14_blank_email_is_no_email(build, blank):
    tenant = build.tenant()
    invoice = _imported(build, build.business_customer(email=blank, address=build.address_dict(town=blank)))
    invoice = invoice.model_copy(update={"delivery_channel": Channel.EMAIL})
    decision = decide(invoice, tenant)
    # EMAIL is unusable and PRINT lacks the town: the invoice fails with both reasons (R16).
    assert decision.outcome is Outcome.FAIL
    assert [(note.channel, en(note.reason)) for note in decision.notes] == [
        (Channel.EMAIL, "the customer has no email address"),
        (Channel.PRINT, "the customer's address details are incomplete for a letter (missing: town)"),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"einvoice_address": ""},
        {"einvoice_operator": " "},
        {"einvoice_address": "\u00a0", "einvoice_operator": ""},
    ],
)
def test_r13_blank_einvoice_routing_is_no_einvoice(build, fields):
    tenant = build.tenant(settings={"channels": ["EINVOICE"]})
    invoice = _imported(build, build.business_customer(**fields))
    decision = decide(invoice, tenant)
    assert decision.outcome is Outcome.FAIL
    assert en(decision.notes[0].reason) == "the customer has no e-invoice address and operator"


def test_r25_a_tenant_address_must_still_be_complete(build):
    # The seller's own address is on every document: a blank part there is an import error.
    with pytest.raises(InputError) as caught:
        parse_scenario(build.scenario_dict(tenants=[build.tenant_dict(address=build.address_dict(town=""))]))
    assert [issue.field for issue in caught.value.issues] == ["address.town"]
