"""The scenario format (R25 errors naming tenant, invoice and field), totals, and R1/R2 activation."""

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from autodispatch.errors import FieldIssue, InputError
from autodispatch.logic.importing import parse_import
from autodispatch.models.enums import Channel, CustomerType, PaymentMethod, Source, Timing
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Line, compute_totals
from autodispatch.rules.activation import activation_problems, auto_dispatch_default

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-scenario.json"
# shared/ lies beside the checkout, as in CI.
SHARED_DEMO = ROOT.parent / "shared" / "examples" / "demo-scenario.json"


def _issues(data) -> list[FieldIssue]:
    with pytest.raises(InputError) as caught:
        parse_import(data)
    return caught.value.issues


def _set(record, path, value):
    """Set a nested value; `path` is a tuple of keys and list indexes."""
    target = record
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


# --- the demo scenario ------------------------------------------------------------------------


def test_r25_demo_scenario_parses():
    scenario = parse_scenario(json.loads(DEMO.read_text(encoding="utf-8")))
    assert [tenant.tenant_id for tenant in scenario.tenants] == ["kahvila", "tilitoimisto"]
    assert len(scenario.invoices) == 15
    assert len({invoice.key for invoice in scenario.invoices}) == 15
    kahvila = scenario.tenants[0]
    assert kahvila.settings.active
    assert kahvila.settings.channels == [Channel.EINVOICE, Channel.EMAIL, Channel.PRINT]
    assert kahvila.factoring is not None
    assert kahvila.factoring.email == "factoring@rahoitus.example"
    by_id = {invoice.invoice_id: invoice for invoice in scenario.invoices}
    assert by_id["k-1008"].payment_method is PaymentMethod.DIRECT_PAYMENT
    assert by_id["k-1007"].auto_dispatch is False
    assert by_id["k-1001"].auto_dispatch is None
    assert by_id["k-1003"].customer.type is CustomerType.CONSUMER
    assert scenario.tenants[1].settings.timing is Timing.INVOICE_DATE


@pytest.mark.skipif(not SHARED_DEMO.exists(), reason="no shared copy of the demo scenario")
def test_r25_r29_demo_scenario_is_the_shared_copy_plus_the_peppol_customer():
    """Our demo is the shared one unchanged, plus k-1011, the Peppol customer's invoice (R29) that the
    shared copy does not have yet."""
    ours = json.loads(DEMO.read_text(encoding="utf-8"))
    shared = json.loads(SHARED_DEMO.read_text(encoding="utf-8"))
    assert ours["tenants"] == shared["tenants"]
    added = [invoice for invoice in ours["invoices"] if invoice not in shared["invoices"]]
    assert [invoice for invoice in ours["invoices"] if invoice not in added] == shared["invoices"]
    assert [(invoice["tenant_id"], invoice["invoice_id"]) for invoice in added] == [("kahvila", "k-1011")]


def test_r2_demo_credit_note_has_negative_totals():
    scenario = parse_scenario(json.loads(DEMO.read_text(encoding="utf-8")))
    credit = next(invoice for invoice in scenario.invoices if invoice.invoice_id == "k-1010")
    assert credit.is_credit_note
    assert (credit.totals.net, credit.totals.vat, credit.totals.gross) == (
        Decimal("-45.00"),
        Decimal("-11.48"),
        Decimal("-56.48"),
    )


def test_r25_demo_invoice_totals():
    scenario = parse_scenario(json.loads(DEMO.read_text(encoding="utf-8")))
    invoice = scenario.invoices[0]
    assert not invoice.is_credit_note
    # 10 x 4.50 = 45.00; 25.5 % of 45.00 = 11.475 -> 11.48 (half up)
    assert (invoice.totals.net, invoice.totals.vat, invoice.totals.gross) == (
        Decimal("45.00"),
        Decimal("11.48"),
        Decimal("56.48"),
    )


# --- R25: invoice field errors name tenant, invoice and field ----------------------------------

INVOICE_ERRORS = [
    # (path in the invoice, bad value, the dotted field the error must name)
    (("lines", 0, "quantity"), "ten", "lines[0].quantity"),
    (("lines", 0, "quantity"), "NaN", "lines[0].quantity"),
    (("lines", 0, "quantity"), "Infinity", "lines[0].quantity"),
    (("lines", 0, "quantity"), True, "lines[0].quantity"),
    (("lines", 0, "quantity"), "1e25", "lines[0].quantity"),  # too large to total exactly
    (("lines", 0, "unit_price"), 4.5, "lines[0].unit_price"),  # a float carries binary rounding error
    (("lines", 0, "unit_price"), "0.0000001", "lines[0].unit_price"),
    (("lines", 0, "vat_rate"), "101", "lines[0].vat_rate"),
    (("lines", 0, "vat_rate"), "-1", "lines[0].vat_rate"),
    (("lines", 0, "vat_rate"), 25.5, "lines[0].vat_rate"),
    (("lines", 0, "description"), "Kahvi\x00", "lines[0].description"),
    (("lines", 0, "description"), "  ", "lines[0].description"),
    (("lines",), [], "lines"),
    (("source",), "FAX", "source"),
    (("status",), "PAID", "status"),
    (("delivery_channel",), "SMS", "delivery_channel"),
    (("payment_method",), "CASH", "payment_method"),
    (("customer", "type"), "GOVERNMENT", "customer.type"),
    (("customer", "language"), "de", "customer.language"),
    (("customer", "name"), "Evil Oy\r\nBcc: victim@example.com", "customer.name"),
    (("customer", "name"), "Evil Oy\nX-Header: 1", "customer.name"),
    (("customer", "name"), "Line\u2028separator", "customer.name"),
    (("customer", "email"), "a@example.fi\r\nBcc: victim@example.com", "customer.email"),
    (("customer", "address", "street", 0), "Katu\t1", "customer.address.street[0]"),
    (("customer", "address", "country"), "Finland", "customer.address.country"),
    (
        ("customer", "einvoice_consent"),
        {"address": "FI7944052020036082", "operator": "NOPE"},
        "customer.einvoice_consent.operator",
    ),
    (("number",), "1001\r\n", "number"),
    (("number",), "1" * 21, "number"),
    (("reference",), "1233", "reference"),  # 7-3-1 check digit of 123 is 2
    (("reference",), "12", "reference"),  # too short
    (("reference",), "12a2", "reference"),
    (("reference",), "RF19539007547034", "reference"),  # RF check digits wrong
    (("created_at",), "2026-03-09T13:00:00", "created_at"),  # no offset
    (("created_at",), "yesterday", "created_at"),
    (("invoice_date",), "2026-02-30", "invoice_date"),
    (("due_date",), "2026-03-08", "due_date"),  # before the invoice date
    (("total",), "56.47", "total"),  # 10 x 4.50 + 25.5 % is 56.48
    (("currency",), "eur", "currency"),
    (("auto_dispatch",), "maybe", "auto_dispatch"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    INVOICE_ERRORS,
    ids=[case[2] + "=" + repr(case[1])[:20] for case in INVOICE_ERRORS],
)
def test_r25_invoice_error_names_tenant_invoice_and_field(build, path, value, field):
    bad = build.invoice_dict(invoice_id="inv-bad")
    _set(bad, path, value)
    issues = _issues(build.scenario_dict(invoices=[build.invoice_dict(), bad]))
    assert [(issue.tenant_id, issue.invoice_id, issue.field) for issue in issues] == [
        ("seller", "inv-bad", field)
    ]
    text = str(issues[0])
    assert f"tenant 'seller', invoice 'inv-bad', field '{field}'" in text
    assert "\n" not in text


def test_r25_float_amount_error_says_to_use_a_decimal_string(build):
    bad = build.invoice_dict()
    bad["lines"][0]["unit_price"] = 4.5
    (issue,) = _issues(build.scenario_dict(invoices=[bad]))
    assert "decimal string" in issue.message


def test_r25_total_that_does_not_add_up_says_what_the_lines_give(build):
    (issue,) = _issues(build.scenario_dict(invoices=[build.invoice_dict(total="50.00")]))
    assert issue.field == "total"
    assert "56.48" in issue.message


def test_r25_due_date_before_invoice_date_names_due_date(build):
    (issue,) = _issues(build.scenario_dict(invoices=[build.invoice_dict(due_date="2026-03-01")]))
    assert issue.field == "due_date"
    assert "before invoice_date" in issue.message


@pytest.mark.parametrize("total", ["56.48", "56.480", 56])
def test_r25_total_that_adds_up_is_accepted(build, total):
    if isinstance(total, int):
        lines = [build.line_dict(quantity="1", unit_price="40", vat_rate="40")]
        invoice = build.invoice_dict(total=total, lines=lines)
    else:
        invoice = build.invoice_dict(total=total)
    assert parse_scenario(build.scenario_dict(invoices=[invoice])).invoices[0].total == Decimal(str(total))


@pytest.mark.parametrize("field", ["tenant_id", "invoice_id", "customer", "lines", "reference", "created_at"])
def test_r25_missing_required_field_is_named(build, field):
    bad = build.invoice_dict(**{field: build.OMIT})
    issues = _issues(build.scenario_dict(invoices=[bad]))
    assert field in [issue.field for issue in issues]


@pytest.mark.parametrize("reference", ["1232", "12 32", "RF18539007547034", "rf18 5390 0754 7034", "1234561"])
def test_r25_valid_finnish_and_rf_references_are_accepted(build, reference):
    invoice = parse_scenario(
        build.scenario_dict(invoices=[build.invoice_dict(reference=reference)])
    ).invoices[0]
    assert invoice.reference == reference.replace(" ", "").upper()


def test_r25_customer_contact_data_stays_as_given(build):
    # Whether a channel can use it is a dispatch decision (R13-R15), not an import error.
    customer = build.consumer_customer(email="not-an-email", address=build.OMIT)
    invoice = parse_scenario(build.scenario_dict(invoices=[build.invoice_dict(customer=customer)])).invoices[
        0
    ]
    assert invoice.customer.email == "not-an-email"


# --- R25: tenant field errors -----------------------------------------------------------------

TENANT_ERRORS = [
    (("business_id",), "1234567-8", "business_id"),  # check digit of 1234567 is 1
    (("business_id",), "ABC", "business_id"),
    (("iban",), "FI4950009420028731", "iban"),
    (("bic",), "OKOY", "bic"),
    (("name",), "Kahvila\r\nBcc: victim@example.com", "name"),
    (("name",), "", "name"),
    (("einvoice_address",), "x", "einvoice_address"),
    (("einvoice_operator",), "NO-PE", "einvoice_operator"),
    (("address", "postcode"), "", "address.postcode"),
    (("settings", "notify_email"), "laskutus@", "settings.notify_email"),
    (("settings", "notify_email"), "a@b.fi\r\nBcc: c@d.fi", "settings.notify_email"),
    (("settings", "notify_phone"), "040123", "settings.notify_phone"),  # too short for any number
    (("settings", "notify_phone"), "+3580", "settings.notify_phone"),
    (("settings", "sources", 0), "FAX", "settings.sources[0]"),
    (("settings", "channels", 1), "SMS", "settings.channels[1]"),
    (("settings", "channels"), ["EMAIL", "EMAIL"], "settings"),
    (("settings", "timing"), "WEEKLY", "settings.timing"),
    (("settings", "activated_at"), "2026-03-01T00:00:00", "settings.activated_at"),
    (("factoring",), {"financier_name": "Rahoitus Oy", "agreement_id": "FA-1"}, "factoring"),
    (
        ("factoring",),
        {"financier_name": "Rahoitus Oy", "agreement_id": "FA-1", "email": "x"},
        "factoring.email",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    TENANT_ERRORS,
    ids=[case[2] + "=" + repr(case[1])[:20] for case in TENANT_ERRORS],
)
def test_r25_tenant_error_names_tenant_and_field(build, path, value, field):
    bad = build.tenant_dict()
    _set(bad, path, value)
    issues = _issues(build.scenario_dict(tenants=[bad]))
    # The tenant is reported once; its invoices are not reported again as having no tenant.
    assert [(issue.tenant_id, issue.invoice_id, issue.field) for issue in issues] == [("seller", None, field)]


def test_r25_unknown_tenant_is_named(build):
    issues = _issues(build.scenario_dict(invoices=[build.invoice_dict(tenant_id="nobody")]))
    assert [(issue.tenant_id, issue.invoice_id, issue.field) for issue in issues] == [
        ("nobody", "inv-1", "tenant_id")
    ]


def test_r25_duplicate_invoice_id_is_named(build):
    issues = _issues(build.scenario_dict(invoices=[build.invoice_dict(), build.invoice_dict(number="2")]))
    assert [(issue.tenant_id, issue.invoice_id, issue.field) for issue in issues] == [
        ("seller", "inv-1", "invoice_id")
    ]


def test_r25_same_invoice_id_under_two_tenants_is_fine(build):
    tenants = [build.tenant_dict(), build.tenant_dict(tenant_id="other")]
    invoices = [build.invoice_dict(), build.invoice_dict(tenant_id="other")]
    assert len(parse_scenario(build.scenario_dict(tenants, invoices)).invoices) == 2


def test_r25_duplicate_tenant_id_is_named(build):
    issues = _issues(build.scenario_dict(tenants=[build.tenant_dict(), build.tenant_dict()], invoices=[]))
    assert [(issue.tenant_id, issue.field) for issue in issues] == [("seller", "tenant_id")]


@pytest.mark.parametrize("document", [[], "scenario", None, 42])
def test_r25_document_that_is_not_an_object_is_rejected(document):
    (issue,) = _issues(document)
    assert issue.field == "(document)"


def test_r25_tenants_that_are_not_a_list_are_rejected(build):
    issues = _issues({"tenants": {"seller": build.tenant_dict()}, "invoices": []})
    assert [issue.field for issue in issues] == ["tenants"]


def test_r25_unknown_extra_fields_are_accepted(build):
    invoice = build.invoice_dict(producer_note="added by another program")
    assert len(parse_scenario(build.scenario_dict(invoices=[invoice])).invoices) == 1


@pytest.mark.parametrize(
    ("settings_overrides", "expected"),
    [
        ({"sources": []}, "source"),
        ({"channels": []}, "channel"),
        ({"notify_email": None, "notify_phone": None}, "notification"),
    ],
)
def test_r2_active_tenant_violating_r2_is_rejected_naming_the_tenant(build, settings_overrides, expected):
    issues = _issues(build.scenario_dict(tenants=[build.tenant_dict(settings_overrides)], invoices=[]))
    assert len(issues) == 1
    assert (issues[0].tenant_id, issues[0].invoice_id, issues[0].field) == ("seller", None, "settings")
    assert expected in issues[0].message


def test_r2_inactive_tenant_may_lack_everything(build):
    tenant = build.tenant_dict({"active": False, "sources": [], "channels": [], "notify_email": None})
    assert parse_scenario(build.scenario_dict(tenants=[tenant])).tenants[0].settings.active is False


def test_r2_active_tenant_with_nothing_reports_all_three_problems(build):
    tenant = build.tenant_dict({"sources": [], "channels": [], "notify_email": None})
    assert len(_issues(build.scenario_dict(tenants=[tenant], invoices=[]))) == 3


def test_r25_all_errors_are_reported_at_once(build):
    bad_tenant = build.tenant_dict(tenant_id="broken", iban="FI00")
    bad_settings = build.tenant_dict({"notify_phone": "040"}, tenant_id="other")
    first = build.invoice_dict(invoice_id="a", source="FAX", reference="1233")
    first["lines"][0]["quantity"] = "x"
    second = build.invoice_dict(invoice_id="b", tenant_id="ghost")
    third = build.invoice_dict(invoice_id="c", due_date="2026-01-01")
    duplicate = build.invoice_dict(invoice_id="c")
    scenario = build.scenario_dict(
        tenants=[build.tenant_dict(), bad_tenant, bad_settings], invoices=[first, second, third, duplicate]
    )
    located = {(issue.tenant_id, issue.invoice_id, issue.field) for issue in _issues(scenario)}
    assert located == {
        ("broken", None, "iban"),
        ("other", None, "settings.notify_phone"),
        ("seller", "a", "source"),
        ("seller", "a", "reference"),
        ("seller", "a", "lines[0].quantity"),
        ("ghost", "b", "tenant_id"),
        ("seller", "c", "due_date"),
    }


def test_r25_input_error_message_lists_every_issue(build):
    first = build.invoice_dict(invoice_id="a", source="FAX")
    second = build.invoice_dict(invoice_id="b", delivery_channel="FAX")
    with pytest.raises(InputError) as caught:
        parse_scenario(build.scenario_dict(invoices=[first, second]))
    message = str(caught.value)
    assert "invoice 'a', field 'source'" in message
    assert "invoice 'b', field 'delivery_channel'" in message


def test_r25_valid_contact_settings_are_normalised(build):
    tenant = build.tenant({"notify_phone": "+358 40 123 4567"})
    assert tenant.settings.notify_phone == "+358401234567"
    assert build.tenant(business_id="23456780").business_id == "2345678-0"


# --- totals -----------------------------------------------------------------------------------


def _lines(*specs):
    return [Line(description="x", quantity=q, unit_price=p, vat_rate=r) for q, p, r in specs]


def test_r25_totals_vat_per_rate_for_mixed_rates():
    totals = compute_totals(
        _lines(
            ("1", "100", "25.5"), ("2", "50", "14"), ("1", "100", "10"), ("3", "10", "0"), ("1", "1", "25.50")
        )
    )
    assert [(str(entry.vat_rate), entry.net, entry.vat) for entry in totals.per_rate] == [
        ("25.5", Decimal("101.00"), Decimal("25.76")),  # 101.00 x 25.5 % = 25.755 -> 25.76
        ("14", Decimal("100.00"), Decimal("14.00")),
        ("10", Decimal("100.00"), Decimal("10.00")),
        ("0", Decimal("30.00"), Decimal("0.00")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (Decimal("331.00"), Decimal("49.76"), Decimal("380.76"))


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("10", "10"),
        ("10.00", "10"),
        ("0", "0"),
        ("0.00", "0"),
        ("100", "100"),
        ("25.50", "25.5"),
        ("14.0", "14"),
    ],
)
def test_r25_vat_rate_is_written_without_exponent(rate, text):
    (entry,) = compute_totals(_lines(("1", "1", rate))).per_rate
    assert str(entry.vat_rate) == text


@pytest.mark.parametrize(
    ("quantity", "unit_price", "rate", "net", "vat"),
    [
        ("1", "0.25", "10", "0.25", "0.03"),  # VAT 0.025 -> 0.03 half up (half even would give 0.02)
        ("3", "0.335", "0", "1.01", "0.00"),  # net 1.005 -> 1.01 half up
        ("1", "0.10", "25.5", "0.10", "0.03"),  # 0.0255 -> 0.03
        ("-1", "0.25", "10", "-0.25", "-0.03"),  # a credit note mirrors the invoice
        ("-3", "0.335", "0", "-1.01", "0.00"),
        ("1", "0.0049", "0", "0.00", "0.00"),
    ],
)
def test_r25_totals_round_half_up_to_cents(quantity, unit_price, rate, net, vat):
    totals = compute_totals(_lines((quantity, unit_price, rate)))
    assert (totals.net, totals.vat) == (Decimal(net), Decimal(vat))
    assert totals.gross == Decimal(net) + Decimal(vat)


def test_r25_vat_is_computed_on_the_rate_sum_not_per_line():
    # Per line: 0.0255 -> 0.03 twice = 0.06; on the sum: 0.051 -> 0.05.
    totals = compute_totals(_lines(("1", "0.10", "25.5"), ("1", "0.10", "25.5")))
    assert totals.vat == Decimal("0.05")


def test_r2_credit_note_has_negative_totals(build):
    lines = [build.line_dict(quantity="-2", unit_price="12.50", vat_rate="14")]
    invoice = build.invoice(lines=lines)
    assert invoice.is_credit_note
    assert (invoice.totals.net, invoice.totals.vat, invoice.totals.gross) == (
        Decimal("-25.00"),
        Decimal("-3.50"),
        Decimal("-28.50"),
    )


AMOUNTS = st.decimals(
    min_value=Decimal("-99999"), max_value=Decimal("99999"), places=3, allow_nan=False, allow_infinity=False
)
RATES = st.sampled_from(["25.5", "14", "10", "0", "24"])


@settings(max_examples=200, deadline=None)
@given(specs=st.lists(st.tuples(AMOUNTS, AMOUNTS, RATES), min_size=1, max_size=6))
def test_r2_credit_note_totals_mirror_the_invoice(specs):
    invoice = compute_totals(_lines(*((str(q), str(p), r) for q, p, r in specs)))
    credit = compute_totals(_lines(*((str(-q), str(p), r) for q, p, r in specs)))
    assert (credit.net, credit.vat, credit.gross) == (-invoice.net, -invoice.vat, -invoice.gross)
    assert invoice.gross == invoice.net + invoice.vat
    assert invoice.net == sum((entry.net for entry in invoice.per_rate), Decimal(0))
    assert invoice.vat == sum((entry.vat for entry in invoice.per_rate), Decimal(0))
    for value in (invoice.net, invoice.vat, invoice.gross):
        assert value == value.quantize(Decimal("0.01"))


# --- R1, R2: activation -----------------------------------------------------------------------


def test_r2_complete_settings_can_be_activated(build):
    assert activation_problems(build.settings()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"sources": []}, ["choose at least one invoice source"]),
        ({"channels": []}, ["choose at least one delivery channel"]),
        ({"notify_email": None}, ["give a notification email or phone"]),
        (
            {"sources": [], "channels": [], "notify_email": None},
            [
                "choose at least one invoice source",
                "choose at least one delivery channel",
                "give a notification email or phone",
            ],
        ),
    ],
)
def test_r2_activation_refused_without_source_channel_or_recipient(build, overrides, expected):
    assert activation_problems(build.settings(**overrides)) == expected


@pytest.mark.parametrize(
    ("email", "phone"),
    [("laskutus@seller.example", None), (None, "+358401234567"), ("a@b.fi", "+358401234567")],
)
def test_r2_one_recipient_of_either_kind_is_enough(build, email, phone):
    assert activation_problems(build.settings(notify_email=email, notify_phone=phone)) == []


@pytest.mark.parametrize(("field", "value"), [("notify_email", "not-an-email"), ("notify_phone", "040 123")])
def test_r2_invalid_recipient_cannot_be_set(build, field, value):
    with pytest.raises(ValidationError):
        build.settings(**{field: value})


def test_r1_settings_defaults_are_off(build):
    from autodispatch.models.scenario import Settings

    defaults = Settings()
    assert defaults.active is False
    assert defaults.timing is Timing.CREATION_DATE
    assert defaults.consumer_einvoicing is False
    assert len(activation_problems(defaults)) == 3


def test_r1_settings_accept_every_source():
    from autodispatch.models.scenario import Settings

    assert Settings(sources=list(Source)).sources == list(Source)


ACTIVATED = "2026-03-01T12:00:00+02:00"


@pytest.mark.parametrize(
    ("created_at", "default"),
    [
        ("2026-03-01T11:59:59+02:00", False),  # an unsent invoice created before activation stays off
        ("2026-02-01T08:00:00+02:00", False),
        ("2026-03-01T12:00:00+02:00", True),
        ("2026-03-01T10:00:00+00:00", True),  # the same instant in UTC
        ("2026-03-01T09:59:59+00:00", False),  # one second before, in UTC
        ("2026-03-02T08:00:00+02:00", True),
    ],
)
def test_r2_auto_dispatch_default_before_and_after_activation(build, created_at, default):
    settings = build.settings(activated_at=ACTIVATED)
    assert auto_dispatch_default(settings, datetime.fromisoformat(created_at)) is default


def test_r2_auto_dispatch_default_is_on_without_activation_time(build):
    settings = build.settings(activated_at=None)
    assert auto_dispatch_default(settings, datetime.fromisoformat("2020-01-01T00:00:00+02:00"))


@pytest.mark.parametrize(
    "typed", ["040 123 4567", "0401234567", "+358 40 123 4567", "+358401234567", "040-123 4567"]
)
def test_r1_notify_phone_as_users_type_it_is_stored_as_e164(build, typed):
    assert build.settings(notify_phone=typed).notify_phone == "+358401234567"


@pytest.mark.parametrize("typed", ["040 123", "12", "phone", "+358 00 000"])
def test_r1_notify_phone_that_is_no_number_is_refused_naming_the_field(build, typed):
    with pytest.raises(ValidationError) as caught:
        build.settings(notify_phone=typed)
    assert [error["loc"] for error in caught.value.errors()] == [("notify_phone",)]
