"""R25, R27: the API's OpenAPI document says what the validation checks, at the edges where they
could part: an id, a date, an amount, a run date, a cursor the schema allows is taken, and one it
refuses is refused. (The schemathesis run in tests/e2e/test_local_api.py generates requests from
the whole document; these are the boundaries it may not happen to try.)"""

import json
from functools import cache
from typing import Any

import jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError

from api import routes
from autodispatch.logic.open_invoices import CURSOR_MAX_LENGTH, _encode
from autodispatch.models.fields import Day, DecimalAmount, Identifier
from autodispatch.models.limits import ID_MAX_BYTES


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
