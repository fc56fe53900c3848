"""R25 with R13/R17/R18: every Finvoice the renderer produces for input the models accept validates
against the Finvoice 3.0 XSD, at the edges of the limits (long texts, many lines, any Unicode the
import lets through, credit notes, consumers and businesses, dates at the ends of the range). A
message the renderer cannot build is refused as a whole (UnsafeText: the channel is unusable),
never written invalid."""

from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autodispatch.channels.finvoice import factoring_route, render_finvoice
from autodispatch.mime import UnsafeText
from autodispatch.models import limits
from autodispatch.models.enums import DeliveryKind
from autodispatch.models.scenario import Factoring, Invoice, Tenant
from autodispatch.rules.usability import einvoice_unusable
from tests.strategies import TEXT_CHARACTERS

XSD = Path(__file__).resolve().parents[1] / "fixtures" / "Finvoice3.0.xsd"
FACTORING = Factoring(
    financier_name="Rahoitus Oy",
    agreement_id="FA-2291",
    einvoice_address="003712345671",
    einvoice_operator="003721291126",
)
REFERENCES = ["1232", "RF18539007547034", "12345672", "RF712348231"]
WIDE = "\U0001d11e"


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def rendered_and_valid(invoice: Invoice, tenant: Tenant, kind: DeliveryKind = DeliveryKind.INVOICE) -> bytes:
    factoring = FACTORING if kind is DeliveryKind.FACTORING else None
    xml = render_finvoice(
        invoice,
        tenant,
        message_id="M-1",
        kind=kind,
        factoring=factoring,
        route=factoring_route(FACTORING) if factoring else None,
    )
    schema().validate(xml.decode("utf-8"))
    return xml


def long_text(draw: st.DrawFn, low: int, high: int) -> str:
    """Text of `low`..`high` characters, often at the maximum, built from a short drawn seed."""
    seed = draw(st.text(TEXT_CHARACTERS, min_size=1, max_size=8).filter(lambda text: not text[0].isspace()))
    size = draw(st.one_of(st.just(high), st.integers(low, high)))
    return (seed * high)[:size]


@st.composite
def edge_invoices(draw: st.DrawFn, build: Any) -> tuple[Invoice, DeliveryKind]:
    consumer = draw(st.booleans())
    address = build.address_dict(
        street=[long_text(draw, 2, 35) for _ in range(draw(st.integers(1, limits.STREET_MAX_LINES)))],
        postcode=long_text(draw, 2, 35),
        town=long_text(draw, 2, 35),
        country=draw(st.sampled_from(["FI", "SE", "DE", "JP", "US"])),
    )
    name = long_text(draw, 2, limits.CUSTOMER_NAME_MAX_LENGTH)
    customer = (
        build.consumer_customer(name=name, address=address, einvoice_consent=build.CONSENT)
        if consumer
        else build.business_customer(name=name, address=address, business_id=long_text(draw, 1, 35))
    )
    distinct = [
        build.line_dict(
            description=long_text(draw, 1, limits.LINE_DESCRIPTION_MAX_LENGTH),
            quantity=str(draw(st.integers(-99_999, 99_999))),
            unit_price=f"{draw(st.integers(-(10**9), 10**9)) / 100:.2f}",
            vat_rate=draw(st.sampled_from(["0", "10", "13.5", "14", "24", "25.5"])),
        )
        for _ in range(draw(st.integers(1, 3)))
    ]
    count = draw(st.sampled_from([1, 2, 40, limits.LINES_MAX]))
    lines = (distinct * limits.LINES_MAX)[:count]
    invoice_date = draw(st.dates(limits.DATE_MIN, limits.DATE_MAX))
    due_date = min(invoice_date + timedelta(days=draw(st.integers(0, 60))), limits.DATE_MAX)
    direct_payment = consumer and draw(st.booleans())
    clock = draw(st.sampled_from(["00:00:00+14:00", "23:59:59-12:00"]))  # the widest offsets
    invoice = Invoice.model_validate(
        build.invoice_dict(
            invoice_id=draw(st.sampled_from(["k-1", "é.1:2_3", "i" * limits.ID_MAX_BYTES])),
            number=long_text(draw, 1, limits.INVOICE_NUMBER_MAX_LENGTH),
            created_at=f"{invoice_date.isoformat()}T{clock}",
            invoice_date=invoice_date.isoformat(),
            due_date=due_date.isoformat(),
            reference=draw(st.sampled_from(REFERENCES)),
            currency=draw(st.sampled_from(["EUR", "SEK", "USD"])),
            payment_method="DIRECT_PAYMENT" if direct_payment else "BANK_TRANSFER",
            factoring=not consumer and draw(st.booleans()),
            customer=customer,
            lines=lines,
        )
    )
    if direct_payment:
        kind = DeliveryKind.DIRECT_PAYMENT_NOTICE
    elif invoice.factoring:
        kind = draw(st.sampled_from([DeliveryKind.INVOICE, DeliveryKind.FACTORING]))
    else:
        kind = DeliveryKind.INVOICE
    return invoice, kind


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_r25_every_rendered_finvoice_at_the_edges_is_schema_valid(build, data):
    invoice, kind = data.draw(edge_invoices(build))
    tenant = build.tenant(
        name=data.draw(st.sampled_from(["Kahvila Aurinko Oy", "Ö" * limits.NAME_MAX_LENGTH]))
    )
    assert einvoice_unusable(invoice, tenant) is None
    event(
        f"{kind.value}, {'credit note' if invoice.is_credit_note else 'invoice'}, {len(invoice.lines)} lines"
    )
    try:
        rendered_and_valid(invoice, tenant, kind)
    except UnsafeText as refusal:
        # Refused whole (the channel is unusable, R12), e.g. a text Finvoice cannot hold.
        event(f"refused: {str(refusal)[:40]}")


def _maximal(build, **overrides) -> Invoice:
    customer = build.business_customer(
        name=WIDE * limits.CUSTOMER_NAME_MAX_LENGTH,
        business_id=WIDE * limits.BUSINESS_ID_MAX_LENGTH,
        address=build.address_dict(
            street=[WIDE * limits.ADDRESS_LINE_MAX_LENGTH] * limits.STREET_MAX_LINES,
            postcode=WIDE * limits.ADDRESS_LINE_MAX_LENGTH,
            town=WIDE * limits.ADDRESS_LINE_MAX_LENGTH,
        ),
    )
    line = build.line_dict(
        description=WIDE * limits.LINE_DESCRIPTION_MAX_LENGTH, unit_price="123456789.123456"
    )
    fields = {
        "invoice_id": "i" * limits.ID_MAX_BYTES,
        "number": WIDE * limits.INVOICE_NUMBER_MAX_LENGTH,
        "customer": customer,
        "lines": [line] * limits.LINES_MAX,
        **overrides,
    }
    return Invoice.model_validate(build.invoice_dict(**fields))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"invoice_date": "1900-01-01", "due_date": "1900-01-01", "created_at": "1900-01-01T00:00:00+14:00"},
        {"invoice_date": "2999-12-31", "due_date": "2999-12-31", "created_at": "2999-12-31T23:59:59-12:00"},
        {
            "lines": [
                {"description": "Hyvitys", "quantity": "-1", "unit_price": "99999.99", "vat_rate": "25.5"}
            ]
        },
    ],
    ids=["every maximum", "first day", "last day", "credit note"],
)
def test_r25_finvoice_at_the_limits_renders_and_validates(build, overrides):
    invoice = _maximal(build, **overrides)
    xml = rendered_and_valid(invoice, build.tenant(name="Ö" * limits.NAME_MAX_LENGTH))
    assert b'<InvoiceDate Format="CCYYMMDD">' + invoice.invoice_date.strftime("%Y%m%d").encode() in xml


def test_r18_r17_notice_and_factoring_copy_at_the_limits_validate(build):
    consumer = build.consumer_customer(
        name=WIDE * limits.CUSTOMER_NAME_MAX_LENGTH, einvoice_consent=build.CONSENT
    )
    notice = _maximal(build, customer=consumer, payment_method="DIRECT_PAYMENT")
    rendered_and_valid(notice, build.tenant(), DeliveryKind.DIRECT_PAYMENT_NOTICE)
    rendered_and_valid(_maximal(build, factoring=True), build.tenant(), DeliveryKind.FACTORING)


def test_r25_year_one_can_no_longer_reach_the_renderer(build):
    # The defect: year 0001 was accepted and written as <InvoiceDate>10101</InvoiceDate>.
    with pytest.raises(ValueError, match="1900-01-01"):
        Invoice.model_validate(build.invoice_dict(invoice_date="0001-01-01"))
    assert date(1900, 1, 1) == limits.DATE_MIN
