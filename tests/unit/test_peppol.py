"""R13 with R12, R17, R25: a business customer whose e-invoice address is a Peppol participant id gets
a Peppol BIS Billing 3.0 document (UBL 2.1 Invoice, CreditNote for a credit) that passes the official
EN 16931 and Peppol rules (`/shared/reference/peppol`, compiled Schematron run by Saxon) with 0
failed asserts, across the scenario space; a document that breaks a rule is refused naming it."""

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autodispatch.channels.peppol import CAC, CBC, render_ubl
from autodispatch.channels.peppol_rules import RULE_SETS, RULES, broken_rules, validate_peppol
from autodispatch.errors import RulesBroken
from autodispatch.mime import UnsafeText
from autodispatch.models import limits
from autodispatch.models.enums import DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.rules.usability import einvoice_unusable
from tests.strategies import TEXT_CHARACTERS

PDF = b"%PDF-1.7 the invoice image\n%%EOF"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "peppol"
OFFICIAL_EXAMPLES = sorted(REFERENCE.glob("example-*.xml"))
PARTICIPANTS = ["0216:003701120389", "0037:01120389", "0088:4000001123452", "0216:003712345678ABC"]
FINNISH_RATES = ["25.5", "14", "13.5", "10", "0"]
REFERENCES = ["1232", "RF18539007547034", "12345672"]
TEXT = TEXT_CHARACTERS


def peppol_customer(build: Any, **overrides: Any) -> dict[str, Any]:
    customer: dict[str, Any] = build.business_customer(
        **{"einvoice_address": "0216:003701120389", **overrides}
    )
    customer.pop("einvoice_operator")
    return customer


def ids(document: bytes) -> list[str]:
    return [rule.rule_id for rule in broken_rules(document)]


@st.composite
def peppol_invoices(draw: st.DrawFn, build: Any) -> tuple[Invoice, DeliveryKind]:
    text = st.text(TEXT, min_size=1, max_size=40).filter(lambda value: value.strip() != "")
    customer = peppol_customer(
        build,
        einvoice_address=draw(st.sampled_from(PARTICIPANTS)),
        name=draw(text),
        business_id=draw(st.one_of(st.none(), st.just("0112038-9"))),
        address=build.address_dict(
            street=draw(
                st.lists(text.map(lambda value: value[:35]), min_size=1, max_size=limits.STREET_MAX_LINES)
            ),
            town=draw(text).strip()[:35] or "Turku",
            country=draw(st.sampled_from(["FI", "SE", "DE"])),
        ),
    )
    lines = [
        build.line_dict(
            description=draw(text),
            quantity=str(draw(st.integers(-999, 9_999)) / draw(st.sampled_from([1, 4, 100]))),
            unit_price=f"{draw(st.integers(-(10**7), 10**7)) / 100:.2f}",
            vat_rate=draw(st.sampled_from(FINNISH_RATES)),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]
    invoice = Invoice.model_validate(
        build.invoice_dict(
            number=draw(st.text(TEXT, min_size=1, max_size=20).filter(lambda value: value.strip() != "")),
            reference=draw(st.sampled_from(REFERENCES)),
            currency=draw(st.sampled_from(["EUR", "SEK"])),
            factoring=draw(st.booleans()),
            customer=customer,
            lines=lines,
        )
    )
    kind = DeliveryKind.INVOICE
    return invoice, kind


def factoring_tenant(build: Any) -> Tenant:
    return build.tenant(
        factoring={"financier_name": "Rahoitus Oy", "agreement_id": "FA-2291", "email": "f@rahoitus.example"}
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_r13_every_generated_peppol_document_passes_en16931_and_peppol_rules(build: Any, data: Any) -> None:
    invoice, kind = data.draw(peppol_invoices(build))
    tenant = factoring_tenant(build)
    assert einvoice_unusable(invoice, tenant) is None
    factoring = tenant.factoring if invoice.factoring else None
    event(f"{'credit note' if invoice.is_credit_note else 'invoice'}, factoring {factoring is not None}")
    try:
        document = render_ubl(invoice, tenant, pdf=PDF, kind=kind, factoring=factoring)
    except UnsafeText:
        event("refused: text XML cannot carry")
        return
    assert broken_rules(document) == []
    root = SafeET.fromstring(document)
    assert root.tag.endswith("}CreditNote" if invoice.is_credit_note else "}Invoice")


@pytest.mark.parametrize("rate", FINNISH_RATES)
def test_r13_each_finnish_vat_rate_has_its_breakdown_and_category(build: Any, rate: str) -> None:
    invoice = Invoice.model_validate(
        build.invoice_dict(
            customer=peppol_customer(build),
            lines=[build.line_dict(vat_rate=rate), build.line_dict(vat_rate="25.5", unit_price="10.00")],
        )
    )
    document = render_ubl(invoice, build.tenant(), pdf=PDF)

    assert broken_rules(document) == []
    root = SafeET.fromstring(document)
    categories = {
        subtotal.findtext(f"{{{CAC}}}TaxCategory/{{{CBC}}}Percent"): subtotal.findtext(
            f"{{{CAC}}}TaxCategory/{{{CBC}}}ID"
        )
        for subtotal in root.iter(f"{{{CAC}}}TaxSubtotal")
    }
    assert categories == {rate: "Z" if rate == "0" else "S", "25.5": "S"}


def test_r13_peppol_invoice_carries_endpoints_payment_and_the_pdf(build: Any) -> None:
    invoice = Invoice.model_validate(build.invoice_dict(customer=peppol_customer(build)))
    tenant = build.tenant()
    root = SafeET.fromstring(render_ubl(invoice, tenant, pdf=PDF))

    endpoints = [(e.get("schemeID"), e.text) for e in root.iter(f"{{{CBC}}}EndpointID")]
    assert endpoints == [("0216", tenant.einvoice_address), ("0216", "003701120389")]
    means = root.find(f"{{{CAC}}}PaymentMeans")
    assert means is not None
    assert means.findtext(f"{{{CBC}}}PaymentID") == invoice.reference
    assert means.findtext(f"{{{CAC}}}PayeeFinancialAccount/{{{CBC}}}ID") == tenant.iban
    assert means.findtext(
        f"{{{CAC}}}PayeeFinancialAccount/{{{CAC}}}FinancialInstitutionBranch/{{{CBC}}}ID"
    ) == (tenant.bic)
    embedded = root.find(
        f"{{{CAC}}}AdditionalDocumentReference/{{{CAC}}}Attachment/{{{CBC}}}EmbeddedDocumentBinaryObject"
    )
    assert embedded is not None
    assert embedded.get("mimeCode") == "application/pdf"
    assert base64.b64decode(embedded.text or "") == PDF


def test_r13_credit_note_is_a_ubl_credit_note_with_positive_credit(build: Any) -> None:
    credit = Invoice.model_validate(
        build.invoice_dict(
            customer=peppol_customer(build),
            lines=[build.line_dict(quantity="-2", unit_price="50.00", vat_rate="25.5")],
        )
    )
    document = render_ubl(credit, build.tenant(), pdf=PDF)

    assert broken_rules(document) == []
    root = SafeET.fromstring(document)
    assert root.findtext(f"{{{CBC}}}CreditNoteTypeCode") == "381"
    assert root.findtext(f"{{{CAC}}}LegalMonetaryTotal/{{{CBC}}}PayableAmount") == "125.50"


def test_r17_factoring_invoice_names_the_financier_as_payee(build: Any) -> None:
    invoice = Invoice.model_validate(build.invoice_dict(customer=peppol_customer(build), factoring=True))
    tenant = factoring_tenant(build)
    document = render_ubl(invoice, tenant, pdf=PDF, factoring=tenant.factoring)

    assert broken_rules(document) == []
    root = SafeET.fromstring(document)
    assert root.findtext(f"{{{CAC}}}PayeeParty/{{{CAC}}}PartyName/{{{CBC}}}Name") == "Rahoitus Oy"
    assert "FA-2291" in (root.findtext(f"{{{CBC}}}Note") or "")


def test_r12_a_document_breaking_the_rules_is_refused_naming_each_rule(build: Any) -> None:
    invoice = Invoice.model_validate(build.invoice_dict(customer=peppol_customer(build)))
    valid = render_ubl(invoice, build.tenant(), pdf=PDF).decode()
    broken = re.sub(r"<cbc:BuyerReference>.*?</cbc:BuyerReference>\s*", "", valid)
    broken = re.sub(r"(<cbc:PayableAmount currencyID=\"EUR\">)[^<]*", r"\g<1>1.00", broken)

    with pytest.raises(RulesBroken) as refused:
        validate_peppol(broken.encode())

    assert {"PEPPOL-EN16931-R003", "BR-CO-16"} <= {rule.rule_id for rule in refused.value.rules}
    assert str(refused.value).startswith("the e-invoice breaks ")
    assert "BR-CO-16: " in str(refused.value)
    validate_peppol(valid.encode())  # the same document unbroken passes


@pytest.mark.skipif(not OFFICIAL_EXAMPLES, reason="the shared Peppol reference is not beside the repo")
@pytest.mark.parametrize("example", OFFICIAL_EXAMPLES, ids=lambda path: path.name)
def test_r13_official_examples_pass_the_layers_copy_of_the_rules(example: Path) -> None:
    assert ids(example.read_bytes()) == []


def test_r13_the_layer_carries_the_same_rules_as_the_reference() -> None:
    for name in RULE_SETS:
        copy = RULES / name
        assert copy.stat().st_size > 100_000
        if (REFERENCE / name).exists():
            assert copy.read_bytes() == (REFERENCE / name).read_bytes()
