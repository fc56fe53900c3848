"""Validated field types of the scenario format (R2, R25), built on python-stdnum,
email-validator and phonenumbers rather than hand-written checks."""

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, TypeVar

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from stdnum import bic, iban, iso11649
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import ytunnus

from autodispatch.models.limits import (
    ADDRESS_LINE_MAX_LENGTH,
    DATE_MAX,
    DATE_MIN,
    ID_MAX_BYTES,
    ID_PUNCTUATION,
    NAME_MAX_LENGTH,
)
from autodispatch.models.printable import PRINTABLE_RANGES
from autodispatch.models.text import Text as Words

DateT = TypeVar("DateT", date, datetime)

_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
# ISO 4217 codes that name no money an invoice can be paid in: precious metals, bond-market
# units, the SDR, testing and "no currency".
_NOT_MONEY = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)
# ASCII digits only: Decimal() would also take "1_000" and Arabic-Indic digits.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_ID_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})
_EINVOICE_ADDRESS = re.compile(r"[0-9A-Za-z:._-]{4,35}")
_FINNISH_REFERENCE_WEIGHTS = (7, 3, 1)


def _no_control_characters(value: str) -> str:
    """Control characters, lone surrogates and the two noncharacters XML cannot carry (U+FFFE,
    U+FFFF) break XML and email headers (R25)."""
    for char in value:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs"} or char in "\u2028\u2029\ufffe\uffff":
            raise ValueError(f"contains a control character (U+{ord(char):04X})")
    return value


class RefusedValue(ValueError):
    """A field's value refused with words as data (R30), so the import's error is in the reader's
    language; its English is the `ValueError`'s message."""

    def __init__(self, text: Words) -> None:
        from autodispatch.i18n.render import render  # noqa: PLC0415 - the catalogue loads on first use

        super().__init__(render(text, "en"))
        self.text = text


_RANGE_STARTS = [first for first, _ in PRINTABLE_RANGES]


def _drawable(char: str) -> bool:
    index = bisect_right(_RANGE_STARTS, ord(char)) - 1
    return index >= 0 and ord(char) <= PRINTABLE_RANGES[index][1]


def _printable(value: str) -> str:
    """R14, R15: a text the invoice documents print has only characters their fonts can draw
    (README, input limits), so no document ever shows U+FFFD in its place."""
    if value.isascii():
        return value
    for char in dict.fromkeys(value):
        if not _drawable(char):
            raise RefusedValue(Words.of("field.unprintable", character=char, codepoint=f"{ord(char):04X}"))
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _blank_or(check: Callable[[str], str]) -> Callable[[str], str]:
    """Blank text is missing, not malformed (R25): only a non-blank value must pass `check`."""

    def blank_or_valid(value: str) -> str:
        return value if not value.strip() else check(value)

    return blank_or_valid


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
    if "=?" in value:
        # RFC 2047 allows no encoded word in an address; email headers would decode one (R25).
        raise ValueError("must not contain '=?' (an RFC 2047 encoded word)")
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address: {error}") from None


PHONE_INVALID = "is not a valid phone number (e.g. 040 123 4567 or +358401234567)"


def _ascii_local_part_email(value: str) -> str:
    """An address our SES path can send to or reply to: a non-ASCII local part needs SMTPUTF8,
    which the sender does not use (an internationalised domain is fine: it goes in IDNA form)."""
    normalized = _email(value)
    if not validate_email(normalized, check_deliverability=False).ascii_email:
        raise ValueError(
            "has non-ASCII characters before the @, which needs SMTPUTF8: email cannot be sent to or "
            "answered at it"
        )
    return normalized


def plain_decimal_text(value: Decimal) -> str:
    """A decimal as the scenario format writes it: digits without an exponent ("0.0000001", not
    "1E-7"), so that what an import stores reads back as the same valid value."""
    return format(value, "f")


def _e164_phone(value: str) -> str:
    try:
        # As users type it: a Finnish number without the country code is read in region FI.
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        raise ValueError(PHONE_INVALID) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(PHONE_INVALID)
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
    if not _COUNTRY.fullmatch(value) or pycountry.countries.get(alpha_2=value) is None:
        raise ValueError("must be an existing ISO 3166 alpha-2 country code such as FI")
    return value


def _currency(value: str) -> str:
    if (
        not _CURRENCY.fullmatch(value)
        or value in _NOT_MONEY
        or pycountry.currencies.get(alpha_3=value) is None
    ):
        raise ValueError("must be an existing ISO 4217 currency code such as EUR")
    return value


def _identifier(value: str) -> str:
    """Letters, digits and -_.: in Unicode normal form NFKC, starting with a letter or digit, at
    most ID_MAX_BYTES of UTF-8: ids that differ only by normalization or by a combining mark
    cannot both exist, and every id fits DynamoDB keys, S3 keys and file names."""
    if not value:
        raise ValueError("must not be empty")
    if len(value.encode()) > ID_MAX_BYTES:
        raise ValueError(f"is longer than {ID_MAX_BYTES} bytes of UTF-8")
    if unicodedata.normalize("NFKC", value) != value:
        raise ValueError(
            "is not in Unicode normal form NFKC (write composed characters, e.g. 'é' not 'e' + U+0301)"
        )
    for index, char in enumerate(value):
        letter_or_digit = unicodedata.category(char) in _ID_LETTER_CATEGORIES
        if not letter_or_digit and (index == 0 or char not in ID_PUNCTUATION):
            raise ValueError(
                f"may hold only letters, digits and {ID_PUNCTUATION} and must start with a letter or digit "
                f"(found U+{ord(char):04X})"
            )
    return value


def _in_date_range(value: DateT) -> DateT:
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"must be between {DATE_MIN} and {DATE_MAX}")
    return value


def _iso_text(value: object) -> object:
    # Lax parsing would read a JSON number as seconds since 1970.
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 string, not a number")
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


def _plain_decimal(value: object) -> object:
    # Floats would carry binary rounding error into money; accept strings and integers only.
    if isinstance(value, float):
        raise ValueError('must be a decimal string such as "4.50", not a JSON number')
    if isinstance(value, bool) or (isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value)):
        raise ValueError('must be a decimal string of ASCII digits such as "-4.50"')
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]
RequiredText = Annotated[str, AfterValidator(_no_control_characters), AfterValidator(_not_blank)]
# Texts the invoice documents print.
PrintedText = Annotated[str, AfterValidator(_no_control_characters), AfterValidator(_printable)]
RequiredPrintedText = Annotated[
    str, AfterValidator(_no_control_characters), AfterValidator(_not_blank), AfterValidator(_printable)
]
Name = Annotated[
    str,
    StringConstraints(max_length=NAME_MAX_LENGTH),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
    AfterValidator(_printable),
]
AddressLine = Annotated[
    str,
    StringConstraints(max_length=ADDRESS_LINE_MAX_LENGTH),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
    AfterValidator(_printable),
]
# A customer's address part: blank is valid input that makes the address incomplete (R25, R13, R15).
OptionalAddressLine = Annotated[
    str,
    StringConstraints(max_length=ADDRESS_LINE_MAX_LENGTH),
    AfterValidator(_no_control_characters),
    AfterValidator(_printable),
]
BusinessId = Annotated[str, AfterValidator(_business_id)]
Iban = Annotated[str, AfterValidator(_iban)]
Bic = Annotated[str, AfterValidator(_bic)]
Email = Annotated[str, AfterValidator(_no_control_characters), AfterValidator(_email)]
# Addresses the system sends from or to itself (a tenant's notification address is the Reply-To of
# its invoices' emails, a financier's receives factoring copies): refused at import when unusable.
SendableEmail = Annotated[
    str, AfterValidator(_no_control_characters), AfterValidator(_ascii_local_part_email)
]
Phone = Annotated[str, AfterValidator(_e164_phone)]
PaymentReference = Annotated[str, AfterValidator(_payment_reference)]
CountryCode = Annotated[str, AfterValidator(_country)]
OptionalCountryCode = Annotated[str, AfterValidator(_blank_or(_country))]
EInvoiceAddress = Annotated[str, AfterValidator(_einvoice_address)]
OperatorCode = Annotated[str, AfterValidator(_operator_code)]
DecimalAmount = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    Field(allow_inf_nan=False),
    PlainSerializer(plain_decimal_text, return_type=str, when_used="json"),
]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
# The JSON Schema (the API's OpenAPI document) says as much of a check as JSON Schema can: never
# more than the validation, so that anything the schema rejects is rejected.
_YEAR_1900_TO_2999 = "^(19|2[0-9])[0-9]{2}-"
Identifier = Annotated[
    str,
    AfterValidator(_identifier),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": ID_MAX_BYTES}),
]
Day = Annotated[
    date,
    BeforeValidator(_iso_text),
    AfterValidator(_in_date_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _YEAR_1900_TO_2999}),
]
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_in_date_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _YEAR_1900_TO_2999}),
]


def bounded(max_length: int) -> StringConstraints:
    """A documented maximum length (models/limits.py), checked at import with the field named."""
    return StringConstraints(max_length=max_length)
