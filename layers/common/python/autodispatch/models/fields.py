"""Validated field types of the scenario format (R2, R25), built on python-stdnum,
email-validator and phonenumbers rather than hand-written checks."""

import re
import unicodedata
from decimal import Decimal
from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from stdnum import bic, iban, iso11649
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import ytunnus

_COUNTRY = re.compile(r"[A-Z]{2}")
_EINVOICE_ADDRESS = re.compile(r"[0-9A-Za-z:._-]{4,35}")
_FINNISH_REFERENCE_WEIGHTS = (7, 3, 1)


def _no_control_characters(value: str) -> str:
    """Control characters and lone surrogates break XML and email headers (R25)."""
    for char in value:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs"} or char in "\u2028\u2029":
            raise ValueError(f"contains a control character (U+{ord(char):04X})")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _business_id(value: str) -> str:
    try:
        return str(ytunnus.format(ytunnus.validate(value)))
    except StdnumError as error:
        raise ValueError(f"is not a valid Finnish business ID (Y-tunnus): {error}") from None


def _iban(value: str) -> str:
    try:
        return str(iban.validate(value))
    except StdnumError as error:
        raise ValueError(f"is not a valid IBAN: {error}") from None


def _bic(value: str) -> str:
    try:
        return str(bic.validate(value))
    except StdnumError as error:
        raise ValueError(f"is not a valid BIC: {error}") from None


def _email(value: str) -> str:
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address: {error}") from None


def _e164_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("is not an E.164 phone number (e.g. +358401234567)") from None
    if not value.startswith("+") or not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid E.164 phone number (e.g. +358401234567)")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def is_valid_finnish_reference(value: str) -> bool:
    """Finnish national reference (viitenumero): 4-20 digits, 7-3-1 check digit.

    python-stdnum covers RF references (ISO 11649) but not this national format.
    """
    if not value.isdigit() or not 4 <= len(value) <= 20:
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(
        int(digit) * _FINNISH_REFERENCE_WEIGHTS[index % 3] for index, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10 == check


def _payment_reference(value: str) -> str:
    compact = value.replace(" ", "").upper()
    if compact.startswith("RF"):
        if iso11649.is_valid(compact):
            return compact
        raise ValueError("is not a valid RF creditor reference (ISO 11649)")
    if is_valid_finnish_reference(compact):
        return compact
    raise ValueError("is not a valid Finnish payment reference or RF creditor reference")


def _country(value: str) -> str:
    if not _COUNTRY.fullmatch(value):
        raise ValueError("must be an ISO 3166 alpha-2 country code such as FI")
    return value


def _einvoice_address(value: str) -> str:
    compact = value.replace(" ", "")
    if not _EINVOICE_ADDRESS.fullmatch(compact):
        raise ValueError("is not an e-invoice address (OVT/EDI code or IBAN, 4-35 characters)")
    return compact


def _operator_code(value: str) -> str:
    """An intermediator's OVT code (e.g. 003721291126) or a bank's BIC."""
    compact = value.replace(" ", "")
    if compact.isdigit() and 8 <= len(compact) <= 17:
        return compact
    return _bic(compact)


def _finite_decimal(value: object) -> object:
    # Floats would carry binary rounding error into money; accept strings and integers only.
    if isinstance(value, float):
        raise ValueError('must be a decimal string such as "4.50", not a JSON number')
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]
RequiredText = Annotated[str, AfterValidator(_no_control_characters), AfterValidator(_not_blank)]
Name = Annotated[
    str, StringConstraints(max_length=70), AfterValidator(_no_control_characters), AfterValidator(_not_blank)
]
AddressLine = Annotated[
    str, StringConstraints(max_length=35), AfterValidator(_no_control_characters), AfterValidator(_not_blank)
]
BusinessId = Annotated[str, AfterValidator(_business_id)]
Iban = Annotated[str, AfterValidator(_iban)]
Bic = Annotated[str, AfterValidator(_bic)]
Email = Annotated[str, AfterValidator(_no_control_characters), AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_e164_phone)]
PaymentReference = Annotated[str, AfterValidator(_payment_reference)]
CountryCode = Annotated[str, AfterValidator(_country)]
EInvoiceAddress = Annotated[str, AfterValidator(_einvoice_address)]
OperatorCode = Annotated[str, AfterValidator(_operator_code)]
DecimalAmount = Annotated[Decimal, BeforeValidator(_finite_decimal), Field(allow_inf_nan=False)]
