"""R25: what an import accepts reads back equal (decimals never in exponent notation), what could
not be used later is refused at import (a notification or financier address SES cannot use), and
an error echoes values as one safe line (control characters and terminal escapes written out, a
huge value shortened)."""

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from autodispatch.errors import FieldIssue, error_line, shown
from autodispatch.models.scenario import Invoice, Settings
from autodispatch.rules.usability import email_unusable

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _decimal_text(digits: str, fraction: str, negative: bool) -> str:
    return ("-" if negative else "") + digits + (f".{fraction}" if fraction else "")


amounts = st.builds(
    _decimal_text,
    st.from_regex(r"[0-9]{1,9}", fullmatch=True),
    st.from_regex(r"[0-9]{0,6}", fullmatch=True),
    st.booleans(),
)
rates = st.builds(
    _decimal_text,
    st.from_regex(r"[0-9]{1,2}", fullmatch=True),
    st.from_regex(r"[0-9]{0,12}", fullmatch=True),
    st.just(False),
)


@given(quantity=amounts, unit_price=amounts, vat_rate=rates)
def test_r25_accepted_decimals_read_back_equal_as_plain_decimal_strings(
    build: Any, quantity: str, unit_price: str, vat_rate: str
) -> None:
    try:
        invoice = build.invoice(
            lines=[build.line_dict(quantity=quantity, unit_price=unit_price, vat_rate=vat_rate)]
        )
    except ValidationError:
        return  # refused at import (e.g. past the amount limit): nothing to read back
    stored = invoice.model_dump_json()
    line = json.loads(stored)["lines"][0]
    for name in ("quantity", "unit_price", "vat_rate"):
        assert PLAIN_DECIMAL.fullmatch(line[name]), line[name]
        assert Decimal(line[name]) == getattr(invoice.lines[0], name)
    assert Invoice.model_validate_json(stored) == invoice


def test_r25_a_tiny_vat_rate_is_stored_without_an_exponent(build: Any) -> None:
    invoice = build.invoice(lines=[build.line_dict(vat_rate="0.0000001")], total=None)
    assert json.loads(invoice.model_dump_json())["lines"][0]["vat_rate"] == "0.0000001"
    tiny_total = build.invoice(lines=[build.line_dict(quantity="0", unit_price="0")], total="0.00000000")
    assert json.loads(tiny_total.model_dump_json())["total"] == "0.00000000"


@pytest.mark.parametrize("address", ["jörg@example.fi", "用户@例子.广告"])
def test_r2_a_notification_address_ses_cannot_reply_to_is_refused_naming_the_field(address: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(notify_email=address)
    assert [error["loc"] for error in refused.value.errors()] == [("notify_email",)]
    assert "SMTPUTF8" in str(refused.value)


def test_r2_an_internationalised_domain_is_a_usable_notification_address() -> None:
    assert Settings(notify_email="laskut@kahvilä.fi").notify_email == "laskut@kahvilä.fi"


def test_r14_a_customer_email_that_needs_smtputf8_makes_email_unusable_with_a_reason(build: Any) -> None:
    customer = build.business_customer(email="jörg@example.fi")
    unusable = email_unusable(build.invoice(delivery_channel="EMAIL", customer=customer))
    assert unusable is not None
    assert "SMTPUTF8" in unusable.reason
    assert email_unusable(build.invoice(customer=build.business_customer(email="a@kahvilä.fi"))) is None


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("k\n1", "'k\\n1'"),
        ("k\r\nerror: x", "'k\\r\\nerror: x'"),
        ("k\x1b[31mred", "'k\\x1b[31mred'"),
        ("k\x1b]8;;https://evil.example\x07x", "'k\\x1b]8;;https://evil.example\\x07x'"),
        ("k\x9b31m", "'k\\x9b31m'"),
        ("Oy \u202eAb", "'Oy \\u202eAb'"),
        ("k\u2028x", "'k\\u2028x'"),
        ("kahvila", "'kahvila'"),
        ("Kahvila Ääkkönen ☕", "'Kahvila Ääkkönen ☕'"),
    ],
)
def test_r25_an_echoed_value_is_one_safe_line(value: str, written: str) -> None:
    assert shown(value) == written
    issue = FieldIssue("invoice_id", "is bad", value, value)
    assert str(issue) == f"tenant {written}, invoice {written}, field 'invoice_id': is bad"


def test_r25_a_huge_echoed_value_is_shortened_with_its_size() -> None:
    assert shown("k" * 1_000_000) == "'" + "k" * 100 + "… (1,000,000 bytes)'"
    assert shown("ä" * 500) == "'" + "ä" * 100 + "… (1,000 bytes)'"
    line = error_line("Unknown tenant " + "x" * 10_000 + "\n")
    assert line.endswith("… (10,016 bytes)")
    assert "\n" not in line
