"""R25: every id, text and list has a documented maximum (models/limits.py, the README's table),
checked at import with the field named in one line; values that would crash later (deep JSON,
dates that overflow, lax booleans and digits) are refused there too."""

import json
import unicodedata
from pathlib import Path

import pytest

from autodispatch.errors import FieldIssue, InputError
from autodispatch.i18n.render import render
from autodispatch.models import limits
from autodispatch.models.document import parse_scenario_json
from autodispatch.models.loading import parse_scenario

# A four-byte UTF-8 character: the worst case for every size measured in bytes.
WIDE = "\U0001d11e"
README = Path(__file__).resolve().parents[2] / "README.md"


def _issues(data) -> list[FieldIssue]:
    with pytest.raises(InputError) as caught:
        parse_scenario(data)
    return caught.value.issues


def _invoice_issue(build, **overrides) -> FieldIssue:
    issues = _issues(build.scenario_dict(invoices=[build.invoice_dict(**overrides)]))
    assert len(issues) == 1, issues
    return issues[0]


def maximal_invoice_dict(build) -> dict:
    """An invoice at every maximum of models/limits.py, in four-byte characters where text allows."""
    address = build.address_dict(
        street=[WIDE * limits.ADDRESS_LINE_MAX_LENGTH] * limits.STREET_MAX_LINES,
        postcode=WIDE * limits.ADDRESS_LINE_MAX_LENGTH,
        town=WIDE * limits.ADDRESS_LINE_MAX_LENGTH,
    )
    customer = build.business_customer(
        name=WIDE * limits.CUSTOMER_NAME_MAX_LENGTH,
        business_id=WIDE * limits.BUSINESS_ID_MAX_LENGTH,
        email=WIDE * limits.EINVOICE_ROUTING_MAX_LENGTH,
        einvoice_address=WIDE * limits.EINVOICE_ROUTING_MAX_LENGTH,
        einvoice_operator=WIDE * limits.EINVOICE_ROUTING_MAX_LENGTH,
        address=address,
    )
    line = build.line_dict(
        description=WIDE * limits.LINE_DESCRIPTION_MAX_LENGTH,
        quantity="-1234.123456",
        unit_price="-123456789.123456",
    )
    return build.invoice_dict(
        invoice_id="i" * limits.ID_MAX_BYTES,
        number=WIDE * limits.INVOICE_NUMBER_MAX_LENGTH,
        customer=customer,
        lines=[line] * limits.LINES_MAX,
    )


def test_r25_an_invoice_at_every_maximum_fits_one_dynamodb_item(build):
    document = maximal_invoice_dict(build)
    tenant = build.tenant_dict(tenant_id="t" * limits.ID_MAX_BYTES)
    document["tenant_id"] = tenant["tenant_id"]
    invoice = parse_scenario(build.scenario_dict(tenants=[tenant], invoices=[document])).invoices[0]
    stored = len(invoice.model_dump_json().encode())
    # The item also holds its keys (TENANT#<id>, DOC#<id>) and attribute names: keep 20 KB spare.
    assert stored < 380_000
    assert stored > 300_000  # the maximum really is near the item limit, or the test proves nothing


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invoice_id", "found"),
    [
        ("k 1", "U+0020"),
        ("k/1", "U+002F"),
        ("k#1", "U+0023"),
        ("../k", "U+002E"),
        (".k", "U+002E"),
        ("k\u202e1", "U+202E"),
        ("k\u200b1", "U+200B"),
        ("e\u0301", None),  # NFD: the same id as "é" would otherwise be two invoices
        ("q\u0301", "U+0301"),  # a combining mark on a letter with no composed form
        ("\uff2b-1", None),  # fullwidth K: NFKC makes it K
        ("", None),
        ("k" * (limits.ID_MAX_BYTES + 1), None),
        ("ä" * (limits.ID_MAX_BYTES // 2 + 1), None),  # short in characters, long in bytes
    ],
)
def test_r25_invoice_id_outside_the_id_rules_is_refused(build, invoice_id, found):
    issue = _invoice_issue(build, invoice_id=invoice_id)
    assert issue.field == "invoice_id"
    assert issue.tenant_id == "seller"
    if found is not None:
        assert found in issue.message


@pytest.mark.parametrize(
    "invoice_id", ["k-1001", "é.1:2_3", "Ä" * (limits.ID_MAX_BYTES // 2), "٣٤", "請求-1"]
)
def test_r25_ids_in_the_safe_set_import(build, invoice_id):
    scenario = parse_scenario(build.scenario_dict(invoices=[build.invoice_dict(invoice_id=invoice_id)]))
    assert scenario.invoices[0].invoice_id == invoice_id


def test_r23_ids_differing_only_by_normalization_cannot_be_two_invoices(build):
    composed, decomposed = "é-1", unicodedata.normalize("NFD", "é-1")
    invoices = [build.invoice_dict(invoice_id=composed), build.invoice_dict(invoice_id=decomposed)]
    issues = _issues(build.scenario_dict(invoices=invoices))
    assert [(issue.invoice_id, issue.field) for issue in issues] == [(decomposed, "invoice_id")]


def test_r25_tenant_id_follows_the_id_rules(build):
    issues = _issues(
        build.scenario_dict(tenants=[build.tenant_dict(tenant_id="../../kahvila ä")], invoices=[])
    )
    assert [issue.field for issue in issues] == ["tenant_id"]


# --- texts and lists ------------------------------------------------------------------------------

TEXT_LIMITS = [
    # (path in the invoice, maximum, field named)
    (("number",), limits.INVOICE_NUMBER_MAX_LENGTH, "number"),
    (("customer", "name"), limits.CUSTOMER_NAME_MAX_LENGTH, "customer.name"),
    (("customer", "business_id"), limits.BUSINESS_ID_MAX_LENGTH, "customer.business_id"),
    (("customer", "email"), limits.EMAIL_MAX_LENGTH, "customer.email"),
    (("customer", "einvoice_address"), limits.EINVOICE_ROUTING_MAX_LENGTH, "customer.einvoice_address"),
    (("customer", "einvoice_operator"), limits.EINVOICE_ROUTING_MAX_LENGTH, "customer.einvoice_operator"),
    (("customer", "address", "street", 0), limits.ADDRESS_LINE_MAX_LENGTH, "customer.address.street[0]"),
    (("customer", "address", "postcode"), limits.ADDRESS_LINE_MAX_LENGTH, "customer.address.postcode"),
    (("customer", "address", "town"), limits.ADDRESS_LINE_MAX_LENGTH, "customer.address.town"),
    (("lines", 0, "description"), limits.LINE_DESCRIPTION_MAX_LENGTH, "lines[0].description"),
]


def _with(build, path, value) -> dict:
    invoice = build.invoice_dict()
    target = invoice
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return invoice


@pytest.mark.parametrize(("path", "maximum", "field"), TEXT_LIMITS)
def test_r25_text_at_its_maximum_imports_and_one_more_is_refused(build, path, maximum, field):
    parse_scenario(build.scenario_dict(invoices=[_with(build, path, "1" * maximum)]))
    issues = _issues(build.scenario_dict(invoices=[_with(build, path, "1" * (maximum + 1))]))
    assert [(issue.field, issue.invoice_id) for issue in issues] == [(field, "inv-1")]
    assert str(maximum) in issues[0].message


@pytest.mark.parametrize(
    ("path", "maximum", "field"),
    [
        (("name",), limits.NAME_MAX_LENGTH, "name"),
        (("address", "town"), limits.ADDRESS_LINE_MAX_LENGTH, "address.town"),
    ],
)
def test_r25_tenant_text_limits(build, path, maximum, field):
    tenant = build.tenant_dict()
    target = tenant
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = "x" * (maximum + 1)
    issues = _issues(build.scenario_dict(tenants=[tenant], invoices=[]))
    assert [(issue.field, issue.tenant_id) for issue in issues] == [(field, "seller")]


def test_r25_lines_per_invoice_are_limited(build):
    lines = [build.line_dict()] * limits.LINES_MAX
    parse_scenario(build.scenario_dict(invoices=[build.invoice_dict(lines=lines)]))
    issue = _invoice_issue(build, lines=[*lines, build.line_dict()])
    assert issue.field == "lines"
    assert str(limits.LINES_MAX) in issue.message


def test_r25_street_lines_are_limited(build):
    customer = build.business_customer(
        address=build.address_dict(street=["a"] * (limits.STREET_MAX_LINES + 1))
    )
    assert _invoice_issue(build, customer=customer).field == "customer.address.street"


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("invoice_date", "0001-01-01"),
        ("invoice_date", "1899-12-31"),
        ("invoice_date", "3000-01-01"),
        ("created_at", "0001-01-01T00:00:00+02:00"),
        ("created_at", "9999-12-31T23:59:59-12:00"),
        ("created_at", 1_700_000_000),  # lax parsing would read seconds since 1970
        ("invoice_date", 20260309),
    ],
)
def test_r25_dates_outside_1900_2999_are_refused(build, field, value):
    overrides = {field: value}
    if field == "invoice_date":
        overrides["due_date"] = "2999-12-31"
    issue = _invoice_issue(build, **overrides)
    assert issue.field == field


def test_r25_dates_at_the_range_ends_import(build):
    invoice = build.invoice_dict(
        created_at="1900-01-01T00:00:00+14:00", invoice_date="1900-01-01", due_date="2999-12-31"
    )
    parsed = parse_scenario(build.scenario_dict(invoices=[invoice])).invoices[0]
    assert parsed.created_at.astimezone().year in {1899, 1900}


def test_r25_activated_at_is_in_range(build):
    tenant = build.tenant_dict(settings=build.settings_dict(activated_at="9999-12-31T00:00:00+00:00"))
    issues = _issues(build.scenario_dict(tenants=[tenant], invoices=[]))
    assert [issue.field for issue in issues] == ["settings.activated_at"]


# --- booleans, amounts, codes ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "off", "true", 0, 1, "1", None])
def test_r25_booleans_are_json_true_or_false(build, value):
    assert _invoice_issue(build, factoring=value).field == "factoring"
    if value is not None:  # auto_dispatch may be null: absent
        assert _invoice_issue(build, auto_dispatch=value).field == "auto_dispatch"
    tenant = build.tenant_dict(settings=build.settings_dict(consumer_einvoicing=value))
    issues = _issues(build.scenario_dict(tenants=[tenant], invoices=[]))
    assert [issue.field for issue in issues] == ["settings.consumer_einvoicing"]


@pytest.mark.parametrize(
    "value", ["1_000", "١٠", "１０", " 10", "10 ", "1e3", "+5", ".5", "5.", "0x10", "", "-"]
)
def test_r25_amounts_are_plain_ascii_decimals(build, value):
    issue = _invoice_issue(build, lines=[build.line_dict(unit_price=value)])
    assert issue.field == "lines[0].unit_price"


@pytest.mark.parametrize("value", ["4.50", "-4.50", "0", "10", 10, -3])
def test_r25_plain_amounts_import(build, value):
    parse_scenario(
        build.scenario_dict(invoices=[build.invoice_dict(lines=[build.line_dict(unit_price=value)])])
    )


@pytest.mark.parametrize("country", ["XX", "ZZ", "EU", "fi", "FIN"])
def test_r25_country_codes_must_exist(build, country):
    customer = build.business_customer(address=build.address_dict(country=country))
    assert _invoice_issue(build, customer=customer).field == "customer.address.country"


@pytest.mark.parametrize("currency", ["XXX", "XTS", "XAU", "ABC", "eur", "EURO"])
def test_r25_currency_codes_must_exist(build, currency):
    assert _invoice_issue(build, currency=currency).field == "currency"


@pytest.mark.parametrize("currency", ["EUR", "SEK", "XOF", "USD"])
def test_r25_real_currencies_import(build, currency):
    parse_scenario(build.scenario_dict(invoices=[build.invoice_dict(currency=currency)]))


# --- the JSON document ----------------------------------------------------------------------------


def test_r25_deep_json_is_one_line_not_a_recursion_error():
    text = '{"tenants": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(InputError) as caught:
        parse_scenario_json(text, "deep.json")
    assert str(caught.value) == (
        f"field '(document)': deep.json nests deeper than {limits.JSON_MAX_DEPTH} levels (line 1)"
    )


def test_r25_brackets_inside_strings_do_not_count_as_nesting(build):
    document = build.scenario_dict(invoices=[_with(build, ("customer", "name"), '[{"\\' * 50)])
    data = parse_scenario_json(json.dumps(document), "ok.json")
    assert parse_scenario(data).invoices[0].customer.name == '[{"\\' * 50


def test_r25_an_integer_beyond_the_digit_limit_is_one_line():
    with pytest.raises(InputError) as caught:
        parse_scenario_json('{"tenants": [' + "9" * 5000 + "]}", "big.json")
    assert "big.json is not valid JSON" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_r25_records_per_scenario_are_limited():
    text = json.dumps({"tenants": [], "invoices": [{}] * (limits.INVOICES_MAX + 1)})
    with pytest.raises(InputError) as caught:
        parse_scenario_json(text, "many.json")
    assert caught.value.issues[0].field == "invoices"


def test_r25_every_limit_is_in_the_readme_table():
    readme = README.read_text(encoding="utf-8")
    for name in dir(limits):
        if name.isupper():
            assert f"`{name}`" in readme, name


@pytest.mark.parametrize("character", ["\ufffe", "\uffff", "\x00", "\x1b", "\u2028"])
def test_r25_characters_xml_cannot_carry_are_refused_at_import(build, character):
    issue = _invoice_issue(build, customer=build.business_customer(name=f"Oy{character}Ab"))
    assert issue.field == "customer.name"
    assert f"U+{ord(character):04X}" in issue.message


def test_r25_amounts_must_fit_finvoice_after_multiplying(build):
    # Quantity and price are each within their limits; their product is not.
    line = build.line_dict(quantity="999999999", unit_price="999999.999999")
    issue = _invoice_issue(build, lines=[line])
    assert issue.field == "lines"
    assert str(limits.AMOUNT_MAX_INTEGER_DIGITS) in issue.message
    fits = build.line_dict(quantity="7900000", unit_price="99999999.99", vat_rate="25.5")
    parse_scenario(build.scenario_dict(invoices=[build.invoice_dict(lines=[fits])]))


def test_r25_an_encoded_word_in_a_notification_address_is_refused(build):
    payload = "=?utf-8?b?RXZpbA0KQmNjOiBldmlsQGV2aWwuZXhhbXBsZQ==?=@x.example"
    tenant = build.tenant_dict(settings=build.settings_dict(notify_email=payload))
    issues = _issues(build.scenario_dict(tenants=[tenant], invoices=[]))
    assert [issue.field for issue in issues] == ["settings.notify_email"]


# No embedded font has Egyptian hieroglyphs, emoji newer than Unicode 9 (U+1FAE0 melting face),
# CJK extension B or private-use characters.
@pytest.mark.parametrize("character", ["\U00013000", "\U0001fae0", "\U00020000", "\ue000"])
@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("customer.name", lambda build, text: {"customer": build.business_customer(name=text)}),
        ("number", lambda build, text: {"number": text}),
        ("lines[0].description", lambda build, text: {"lines": [build.line_dict(description=text)]}),
        (
            "customer.address.town",
            lambda build, text: {"customer": build.business_customer(address=build.address_dict(town=text))},
        ),
    ],
)
def test_r25_characters_no_font_can_print_are_refused_at_import_in_the_readers_language(
    build, character, field, overrides
):
    issue = _invoice_issue(build, **overrides(build, f"Oy {character} Ab"))

    assert issue.field == field
    assert issue.text is not None
    code = f"U+{ord(character):04X}"
    line = str(issue)
    assert line.startswith(f"tenant 'seller', invoice 'inv-1', field '{field}': ")
    assert f"{code}), which the invoice documents cannot print" in line
    assert "\n" not in line
    assert f"{code}), jota laskun asiakirjoihin ei voi tulostaa" in render(issue.text, "fi")
    assert f"{code}), som inte kan skrivas ut på fakturadokumenten" in render(issue.text, "sv")


def test_r25_a_tenant_name_no_font_can_print_is_refused(build):
    tenant = build.tenant_dict(name="Kahvila \U0001fae0 Oy")
    issues = _issues(build.scenario_dict(tenants=[tenant], invoices=[]))

    assert [(issue.tenant_id, issue.field) for issue in issues] == [("seller", "name")]
    assert "U+1FAE0" in issues[0].message


def test_r25_hangul_emoji_and_mathematical_letters_import(build):
    text = "김민준 😀👍🏽 ❤\ufe0f 𝐖𝐨𝐫𝐥𝐝 北京"
    invoice = build.invoice_dict(
        customer=build.business_customer(name=text), lines=[build.line_dict(description=text)]
    )
    scenario = parse_scenario(build.scenario_dict(invoices=[invoice]))
    assert scenario.invoices[0].customer.name == text
