"""R13: an e-invoice is sent only to a routable address: the customer's e-invoice address an OVT
code (0037 + business ID + optional suffix) or an IBAN, the operator an OVT code or a BIC-like
intermediator code. Anything else makes EINVOICE unusable with the reason, and the chain goes on
(R12)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodispatch.models.dispatch import Outcome, Verdict
from autodispatch.models.enums import Channel
from autodispatch.rules.chain import decide
from autodispatch.rules.usability import einvoice_unusable
from tests.words import en

ADDRESS_REASON = "the customer's e-invoice address is neither an OVT code (0037 + business ID) nor an IBAN"
OPERATOR_REASON = "the customer's e-invoice operator is neither an OVT code nor a BIC-like intermediator code"


@pytest.mark.parametrize(
    ("address", "operator"),
    [
        ("003701120389", "003721291126"),
        ("003701120389001", "003721291126"),  # an organisation-unit suffix
        ("0037011203891A", "BAWCFI22"),
        ("0037 0112 0389", "NDEAFIHH"),
        ("FI7944052020036082", "NDEAFIHH"),
        ("FI79 4405 2020 0360 82", "OKOYFIHHXXX"),
        ("003701120389", "003723327487"),
    ],
)
def test_r13_routable_einvoice_details_are_usable(build, address, operator):
    invoice = build.invoice(
        customer=build.business_customer(einvoice_address=address, einvoice_operator=operator)
    )
    assert einvoice_unusable(invoice, build.tenant()) is None


@pytest.mark.parametrize(
    ("address", "operator", "reason"),
    [
        ("<a>", "003721291126", ADDRESS_REASON),
        ("0037", "003721291126", ADDRESS_REASON),
        ("003701120388", "003721291126", ADDRESS_REASON),  # business ID check digit wrong
        ("003801120389", "003721291126", ADDRESS_REASON),  # not 0037
        ("0037011203890000001", "003721291126", ADDRESS_REASON),  # suffix too long
        ("FI7944052020036083", "003721291126", ADDRESS_REASON),  # IBAN check digits wrong
        ("003701120389", "notanoperator", OPERATOR_REASON),
        ("003701120389", "<a>", OPERATOR_REASON),
        ("003701120389", "12345678", OPERATOR_REASON),
        ("003701120389", "NDEAXXHH", OPERATOR_REASON),  # no such country
    ],
)
def test_r13_unroutable_einvoice_details_make_einvoice_unusable(build, address, operator, reason):
    invoice = build.invoice(
        customer=build.business_customer(einvoice_address=address, einvoice_operator=operator)
    )
    problem = einvoice_unusable(invoice, build.tenant())
    assert problem is not None
    assert en(problem.reason) == reason


def test_r12_an_unroutable_address_moves_the_chain_to_email(build):
    invoice = build.invoice(customer=build.business_customer(einvoice_address="<a>", einvoice_operator="x"))
    decision = decide(invoice, build.tenant())
    assert decision.outcome is Outcome.SEND
    assert decision.channel is Channel.EMAIL
    assert (decision.notes[0].channel, decision.notes[0].verdict, en(decision.notes[0].reason)) == (
        Channel.EINVOICE,
        Verdict.UNUSABLE,
        ADDRESS_REASON,
    )


def test_r13_a_consumer_consent_address_must_be_routable(build):
    consent = {"address": "ABCD1234", "operator": "NDEAFIHH"}  # passes the import's format check only
    invoice = build.invoice(customer=build.consumer_customer(einvoice_consent=consent))
    problem = einvoice_unusable(invoice, build.tenant())
    assert problem is not None
    assert en(problem.reason) == ADDRESS_REASON
    routable = build.invoice(customer=build.consumer_customer(einvoice_consent=build.CONSENT))
    assert einvoice_unusable(routable, build.tenant()) is None


@given(text=st.text(max_size=35))
def test_r13_no_text_without_0037_or_an_iban_shape_is_routable(build, text):
    # Hypothesis: whatever the text, an address that is neither shape is never usable.
    compact = text.replace(" ", "")
    if not text.strip() or compact.startswith("0037") or compact[:2].isalpha():
        return  # blank is no address (another reason); the shapes are tested above
    try:
        invoice = build.invoice(customer=build.business_customer(einvoice_address=text))
    except ValueError:
        return  # refused at import (e.g. a control character): never reaches a run
    problem = einvoice_unusable(invoice, build.tenant())
    assert problem is not None
    assert en(problem.reason) == ADDRESS_REASON
