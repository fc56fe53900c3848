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

from autodispatch.models.invalid import Invalid
from autodispatch.models.limits import (
    ADDRESS_LINE_MAX_LENGTH,
    DATE_MAX,
    DATE_MIN,
    ID_MAX_BYTES,
    ID_PUNCTUATION,
    NAME_MAX_LENGTH,
)
from autodispatch.models.printable import PRINTABLE_RANGES
from autodispatch.models.text import Text as Message

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
# A Peppol participant identifier as `scheme:value`: a four-digit ISO 6523 ICD (0216 OVT code,
# 0037 Finnish business id, 0088 GLN...) and the identifier within it. Whether the scheme and the
# value are acceptable is the Peppol rules' decision (the validation gate), not this pattern's.
PEPPOL_PARTICIPANT = re.compile(r"(?P<scheme>[0-9]{4}):(?P<value>[A-Za-z0-9][A-Za-z0-9.:_-]{0,49})")
_FINNISH_REFERENCE_WEIGHTS = (7, 3, 1)


def _no_control_characters(value: str) -> str:
    """Control characters, lone surrogates and the two noncharacters XML cannot carry (U+FFFE,
    U+FFFF) break XML and email headers (R25)."""
    for char in value:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs"} or char in "\u2028\u2029\ufffe\uffff":
            raise Invalid(Message.of("invalid.control_character", character=f"U+{ord(char):04X}"))
    return value


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
            raise Invalid(Message.of("field.unprintable", character=char, codepoint=f"{ord(char):04X}"))
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise Invalid(Message.of("invalid.blank"))
    return value


def _blank_or(check: Callable[[str], str]) -> Callable[[str], str]:
    """Blank text is missing, not malformed (R25): only a non-blank value must pass `check`."""

    def blank_or_valid(value: str) -> str:
        return value if not value.strip() else check(value)

    return blank_or_valid


def _business_id(value: str) -> str:
    try:
        return str(ytunnus.format(ytunnus.validate(value)))
    except StdnumError:
        raise Invalid(Message.of("invalid.business_id")) from None


def _iban(value: str) -> str:
    try:
        return str(iban.validate(value))
    except StdnumError:
        raise Invalid(Message.of("invalid.iban")) from None


def _bic(value: str) -> str:
    try:
        return str(bic.validate(value))
    except StdnumError:
        raise Invalid(Message.of("invalid.bic")) from None


def _email(value: str) -> str:
    if "=?" in value:
        # RFC 2047 allows no encoded word in an address; email headers would decode one (R25).
        raise Invalid(Message.of("invalid.encoded_word"))
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise Invalid(Message.of("invalid.email")) from None


PHONE_INVALID = Message.of("invalid.phone")


def _ascii_local_part_email(value: str) -> str:
    """An address our SES path can send to or reply to: a non-ASCII local part needs SMTPUTF8,
    which the sender does not use (an internationalised domain is fine: it goes in IDNA form)."""
    normalized = _email(value)
    if not validate_email(normalized, check_deliverability=False).ascii_email:
        raise Invalid(Message.of("invalid.email_smtputf8"))
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
        raise Invalid(PHONE_INVALID) from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(PHONE_INVALID)
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
        raise Invalid(Message.of("invalid.rf_reference"))
    if is_valid_finnish_reference(compact):
        return compact
    raise Invalid(Message.of("invalid.payment_reference"))


def _country(value: str) -> str:
    if not _COUNTRY.fullmatch(value) or pycountry.countries.get(alpha_2=value) is None:
        raise Invalid(Message.of("invalid.country"))
    return value


def _currency(value: str) -> str:
    if (
        not _CURRENCY.fullmatch(value)
        or value in _NOT_MONEY
        or pycountry.currencies.get(alpha_3=value) is None
    ):
        raise Invalid(Message.of("invalid.currency"))
    return value


def _identifier(value: str) -> str:
    """Letters, digits and -_.: in Unicode normal form NFKC, starting with a letter or digit, at
    most ID_MAX_BYTES of UTF-8: ids that differ only by normalization or by a combining mark
    cannot both exist, and every id fits DynamoDB keys, S3 keys and file names."""
    if not value:
        raise Invalid(Message.of("invalid.empty"))
    if len(value.encode()) > ID_MAX_BYTES:
        raise Invalid(Message.of("invalid.id_too_long", limit=ID_MAX_BYTES))
    if unicodedata.normalize("NFKC", value) != value:
        raise Invalid(Message.of("invalid.id_not_nfkc"))
    for index, char in enumerate(value):
        letter_or_digit = unicodedata.category(char) in _ID_LETTER_CATEGORIES
        if not letter_or_digit and (index == 0 or char not in ID_PUNCTUATION):
            raise Invalid(
                Message.of(
                    "invalid.id_characters", punctuation=ID_PUNCTUATION, character=f"U+{ord(char):04X}"
                )
            )
    return value


def _in_date_range(value: DateT) -> DateT:
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise Invalid(Message.of("invalid.date_range", first=str(DATE_MIN), last=str(DATE_MAX)))
    return value


def _iso_text(value: object) -> object:
    # Lax parsing would read a JSON number as seconds since 1970.
    if isinstance(value, int | float):
        raise Invalid(Message.of("invalid.iso_not_number"))
    return value


def is_peppol_participant(address: str | None) -> bool:
    """Whether an e-invoice address is a Peppol participant id (no operator needed: the network
    finds the receiver's access point)."""
    return address is not None and PEPPOL_PARTICIPANT.fullmatch(address.strip()) is not None


def _einvoice_address(value: str) -> str:
    compact = value.replace(" ", "")
    if not _EINVOICE_ADDRESS.fullmatch(compact):
        raise Invalid(Message.of("invalid.einvoice_address"))
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
        raise Invalid(Message.of("invalid.decimal_number"))
    if isinstance(value, bool) or (isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value)):
        raise Invalid(Message.of("invalid.decimal_text"))
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
    # What _plain_decimal takes: an integer or a decimal string, never a JSON number with a fraction.
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": f"^{_PLAIN_DECIMAL.pattern}$"}]}
    ),
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
