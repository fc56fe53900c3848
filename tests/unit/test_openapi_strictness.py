"""R25, R27: the API's OpenAPI document says what the validation checks, at the edges where they
could part: an id, a date, an amount, a run date, a cursor the schema allows is taken, and one it
refuses is refused. (The schemathesis run in tests/e2e/test_local_api.py generates requests from
the whole document; these are the boundaries it may not happen to try.)"""

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from api import routes
from autodispatch.logic.open_invoices import CURSOR_MAX_LENGTH, _encode
from autodispatch.models import patterns
from autodispatch.models.fields import (
    Bic,
    BusinessId,
    Day,
    DecimalAmount,
    EInvoiceAddress,
    Iban,
    Identifier,
    Name,
    OperatorCode,
    PaymentReference,
)
from autodispatch.models.limits import ID_MAX_BYTES
from autodispatch.models.scenario import Factoring, Line, Quantity, Settings
from tests.e2e import within_rules


@cache
def document() -> dict[str, Any]:
    return json.loads(routes.app.get_openapi_json_schema())  # type: ignore[no-any-return]


def schema_of(name: str) -> dict[str, Any]:
    return {**document()["components"]["schemas"][name], "components": document()["components"]}


def parameter(path: str, method: str, name: str) -> dict[str, Any]:
    operation = document()["paths"][path][method]
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


def schema_allows(schema: dict[str, Any], value: Any) -> bool:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return validator.is_valid(value)


def validation_allows(adapter: TypeAdapter[Any], value: Any) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def assert_agree(schema: dict[str, Any], adapter: TypeAdapter[Any], value: Any, allowed: bool) -> None:
    assert (schema_allows(schema, value), validation_allows(adapter, value)) == (allowed, allowed), value


AMOUNTS = [
    (4, True),
    ("4.50", True),
    ("-4.50", True),
    ("0", True),
    (4.5, False),  # a JSON number with a fraction: binary rounding in money
    (4.0, True),  # an integer to JSON Schema (and to the validation)
    ("4.5e1", False),
    (" 4.50", False),
    ("4,50", False),
    ("", False),
    ("٤", False),  # an Arabic-Indic digit: not ASCII
    (True, False),
]


@pytest.mark.parametrize(("value", "allowed"), AMOUNTS, ids=repr)
def test_r25_an_amount_is_an_integer_or_a_decimal_string_in_the_schema_as_in_the_validation(
    value: Any, allowed: bool
) -> None:
    line = schema_of("Line")["properties"]["unit_price"]
    assert_agree(line, TypeAdapter(DecimalAmount), value, allowed)


DAYS = [
    ("1900-01-01", True),
    ("2999-12-31", True),
    ("1899-12-31", False),
    ("3000-01-01", False),
    ("0999-01-01", False),
    ("2026-02-30", False),
    ("", False),
    (20260310, False),
]


@pytest.mark.parametrize(("value", "allowed"), DAYS, ids=repr)
def test_r25_a_date_is_between_1900_and_2999_in_the_schema_as_in_the_validation(
    value: Any, allowed: bool
) -> None:
    invoice_date = schema_of("Invoice")["properties"]["invoice_date"]
    assert_agree(invoice_date, TypeAdapter(Day), value, allowed)


@pytest.mark.parametrize(("value", "allowed"), DAYS, ids=repr)
def test_r10_a_run_date_is_a_date_between_1900_and_2999_in_the_schema_as_in_the_validation(
    value: Any, allowed: bool
) -> None:
    body = {"run_date": value}
    assert_agree(schema_of("RunRequest"), TypeAdapter(routes.RunRequest), body, allowed)


# JSON Schema counts characters, the validation UTF-8 bytes: the schema's 64 is the looser of the two.
IDS = [("k-1001", True), ("ä" * 32, True), ("", False), ("x" * (ID_MAX_BYTES + 1), False)]


@pytest.mark.parametrize(("value", "allowed"), IDS, ids=repr)
def test_r25_an_id_is_never_empty_nor_longer_than_the_limit_in_the_schema_as_in_the_validation(
    value: str, allowed: bool
) -> None:
    tenant_id = schema_of("Invoice")["properties"]["tenant_id"]
    assert_agree(tenant_id, TypeAdapter(Identifier), value, allowed)
    for path, method in (
        ("/tenants/{tenant_id}", "get"),
        ("/tenants/{tenant_id}/invoices/{invoice_id}", "put"),
    ):
        assert schema_allows(parameter(path, method, "tenant_id"), value) is allowed


def test_r27_a_cursor_the_api_issues_fits_the_schema_and_an_empty_or_spaced_one_does_not() -> None:
    cursor = parameter("/tenants/{tenant_id}/invoices", "get", "cursor")
    longest = _encode("ä" * (ID_MAX_BYTES // 2), "x" * ID_MAX_BYTES)
    assert len(longest) <= CURSOR_MAX_LENGTH
    assert schema_allows(cursor, _encode("kahvila", "k-1001"))
    assert schema_allows(cursor, longest)
    for refused in ("", "a b", "a=", "x" * (CURSOR_MAX_LENGTH + 1)):
        assert not schema_allows(cursor, refused)


def tenant_property(name: str) -> dict[str, Any]:
    return {**schema_of("Tenant")["properties"][name], "components": document()["components"]}


# (the Tenant property, its field type, the value, taken by the validation); the schema takes every
# value the validation takes (written with the separators and letter case it folds away) and
# refuses the malformed ones; a wrong check digit or national check only the validation sees.
SHAPES = [
    ("business_id", BusinessId, "0737546-2", True),
    ("business_id", BusinessId, "fi 0737546-2", True),
    ("business_id", BusinessId, "-0737546-2 ", True),
    ("business_id", BusinessId, "0737546", False),
    ("business_id", BusinessId, "SE07375462", False),
    ("iban", Iban, "FI2112345600000785", True),
    ("iban", Iban, "fi21 1234 5600 0007 85", True),
    ("iban", Iban, "GB82WEST12345698765432", True),
    ("iban", Iban, "FI211234560000078", False),  # one digit short of Finland's structure
    ("iban", Iban, "XX2112345600000785", False),
    ("bic", Bic, "NDEAFIHH", True),
    ("bic", Bic, "ndea fi hh", True),
    ("bic", Bic, "NDEA-FI-HH ", True),
    ("bic", Bic, "OKOYFIHHXXX", True),
    ("bic", Bic, "NDEAXXHH", False),  # no such country
    ("bic", Bic, "NDEAFIH", False),
    ("einvoice_operator", OperatorCode, "0037 2129 1126", True),
    ("einvoice_operator", OperatorCode, "NDEAFIHH", True),
    ("einvoice_operator", OperatorCode, "1234567", False),
    ("einvoice_operator", OperatorCode, "１２３４５６７８", False),  # fullwidth digits
    ("einvoice_address", EInvoiceAddress, "0037 1234 5678", True),
    ("einvoice_address", EInvoiceAddress, "0216:003712345678", True),
    ("einvoice_address", EInvoiceAddress, "abc", False),
    ("name", Name, "Kahvila Ähtäri Oy", True),
    ("name", Name, " ", False),
    ("name", Name, "Kahvila\u2028Oy", False),
    ("name", Name, "Kahvila \U000e0001", False),  # a tag character no font draws
    ("tenant_id", Identifier, "kahvila-2", True),
    ("tenant_id", Identifier, "kahvila 2", False),
    ("tenant_id", Identifier, "-kahvila", False),
]


def plain_id(value: Any) -> str:
    """A test id of the plain values only (a field type's repr names addresses, which differ by worker)."""
    return repr(value) if isinstance(value, str | bool) else ""


@pytest.mark.parametrize(("name", "field", "value", "taken"), SHAPES, ids=plain_id)
def test_r25_the_schema_takes_what_the_validation_takes_and_refuses_what_it_refuses(
    name: str, field: Any, value: str, taken: bool
) -> None:
    assert_agree(tenant_property(name), TypeAdapter(field), value, taken)


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("business_id", BusinessId, "0737546-3"),
        ("iban", Iban, "FI2212345600000785"),
        ("iban", Iban, "BE68539007547034"),  # Belgium's own check digits inside the account
    ],
    ids=plain_id,
)
def test_r25_a_wrong_check_digit_is_the_validations_alone(name: str, field: Any, value: str) -> None:
    assert schema_allows(tenant_property(name), value)
    assert not validation_allows(TypeAdapter(field), value)


REFERENCES = [("1232", True), ("12 32", True), ("rf18 5390 0754 7034", True), ("RF18-5390-0754-7034", True)]
REFERENCES += [("١٢٣٢", False), ("123", False), ("R-F18539007547034", False)]


@pytest.mark.parametrize(("value", "allowed"), REFERENCES, ids=repr)
def test_r25_a_payment_reference_has_its_shape_in_the_schema_as_in_the_validation(
    value: str, allowed: bool
) -> None:
    assert_agree(
        schema_of("Invoice")["properties"]["reference"], TypeAdapter(PaymentReference), value, allowed
    )


def test_r25_a_reference_of_superscript_digits_is_refused_not_a_crash() -> None:
    assert not validation_allows(TypeAdapter(PaymentReference), "²²²²")
    assert not validation_allows(TypeAdapter(OperatorCode), "¹²³⁴⁵⁶⁷⁸")


BOUNDED = [(999_999_999, True), (1_000_000_000, False), ("-0.000001", True), ("1.0000000", True)]
BOUNDED += [("0000000000001", True), ("1234567890", False), ("0.0000001", False), ("1.", False)]


@pytest.mark.parametrize(("value", "allowed"), BOUNDED, ids=repr)
def test_r25_a_quantity_has_its_digits_in_the_schema_as_in_the_validation(value: Any, allowed: bool) -> None:
    assert_agree(schema_of("Line")["properties"]["quantity"], TypeAdapter(Quantity), value, allowed)


VAT_RATES = [
    (0, True),
    (100, True),
    (101, False),
    (-1, False),
    ("25.5", True),
    ("-0.0", True),
    ("100.5", False),
]


@pytest.mark.parametrize(("value", "allowed"), VAT_RATES, ids=repr)
def test_r25_a_vat_rate_is_0_to_100_in_the_schema_as_in_the_validation(value: Any, allowed: bool) -> None:
    line = {"description": "x", "quantity": 1, "unit_price": 1, "vat_rate": value}
    assert_agree(schema_of("Line"), TypeAdapter(Line), line, allowed)


def test_r25_an_unknown_field_and_a_twice_named_channel_are_refused_by_the_schema_too() -> None:
    settings = {"sources": ["MANUAL"], "channels": ["EMAIL"]}
    assert_agree(schema_of("Settings"), TypeAdapter(Settings), settings, True)
    assert not schema_allows(schema_of("Settings"), {**settings, "padding": "x"})
    assert_agree(schema_of("Settings"), TypeAdapter(Settings), {**settings, "channels": ["EMAIL"] * 2}, False)


@pytest.mark.parametrize(
    ("factoring", "allowed"),
    [
        ({"email": "rahoitus@example.fi"}, True),
        ({"einvoice_address": "003712345678", "einvoice_operator": "NDEAFIHH"}, True),
        ({"einvoice_address": "003712345678", "email": "rahoitus@example.fi"}, False),  # no operator
        ({}, False),  # nowhere to send
    ],
    ids=repr,
)
def test_r17_a_factoring_agreement_has_a_destination_in_the_schema_as_in_the_validation(
    factoring: dict[str, Any], allowed: bool
) -> None:
    agreement = {"financier_name": "Rahoitus Oy", "agreement_id": "F-1", **factoring}
    assert_agree(schema_of("Factoring"), TypeAdapter(Factoring), agreement, allowed)


FIXED_BY_WITHIN_RULES = [
    (patterns.BUSINESS_ID, within_rules.business_id, BusinessId),
    (patterns.IBAN, within_rules.account, Iban),
    (patterns.PAYMENT_REFERENCE, within_rules.reference, PaymentReference),
    (patterns.IDENTIFIER, within_rules.identifier, Identifier),
]


@pytest.mark.parametrize(
    ("pattern", "fix", "field"), FIXED_BY_WITHIN_RULES, ids=lambda p: getattr(p, "__name__", "")
)
def test_r25_within_rules_makes_every_value_of_the_schemas_shape_valid(
    pattern: str, fix: Callable[[str], str], field: Any
) -> None:
    """The e2e test's positive data: what the schema allows, with its check digits fixed, is valid."""

    @given(st.from_regex(pattern, fullmatch=True))
    @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def fixed_is_valid(value: str) -> None:
        assert validation_allows(TypeAdapter(field), fix(value)), (value, fix(value))

    fixed_is_valid()
