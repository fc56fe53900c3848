"""What JSON Schema can say of the field checks of models/fields.py, for the API's OpenAPI document
(R25, R27): regular expressions and enumerations never stricter than the validation (anything the
schema refuses is refused) and as close to it as a pattern gets. Separators and letter case that the
validation folds away (python-stdnum's `compact`) are allowed where it allows them. What no pattern
can say stays the validation's alone: check digits, Unicode normal form, an id's byte length, a
working phone number or email domain, a due date after the invoice date, totals that add up.

The patterns are valid both as Python `re` and as ECMA-262 in Unicode mode (characters outside the
Basic Multilingual Plane are written as themselves, never as escapes)."""

import unicodedata
from collections.abc import Iterable

from stdnum import bic, iban

from autodispatch.models.printable import PRINTABLE_RANGES

# Characters fields.py refuses as control characters although a font draws them.
_LINE_SEPARATORS = frozenset({0x2028, 0x2029})
# Every character str.isspace() knows lies below U+3001.
_WHITESPACE = frozenset(code for code in range(0x3001) if chr(code).isspace())
# What must be escaped inside a character class in both regex dialects.
_CLASS_SYNTAX = frozenset("\\]-[^")


def _literal(code: int) -> str:
    char = chr(code)
    if char in _CLASS_SYNTAX:
        return "\\" + char
    if unicodedata.category(char) in {"Cc", "Zl", "Zp"} or code < 0x20:
        return f"\\u{code:04x}"
    return char


def _character_class(ranges: Iterable[tuple[int, int]]) -> str:
    parts = [
        _literal(first) if first == last else f"{_literal(first)}-{_literal(last)}" for first, last in ranges
    ]
    return "[" + "".join(parts) + "]"


def _without(ranges: Iterable[tuple[int, int]], excluded: frozenset[int]) -> list[tuple[int, int]]:
    """`ranges` with the code points of `excluded` cut out."""
    kept: list[tuple[int, int]] = []
    for first, last in ranges:
        start = first
        for code in sorted(c for c in excluded if first <= c <= last):
            if start < code:
                kept.append((start, code - 1))
            start = code + 1
        if start <= last:
            kept.append((start, last))
    return kept


_PRINTABLE = _without(PRINTABLE_RANGES, _LINE_SEPARATORS)
PRINTABLE_CLASS = _character_class(_PRINTABLE)
_PRINTABLE_NOT_SPACE_CLASS = _character_class(_without(_PRINTABLE, _WHITESPACE))


def printed_text(*, required: bool) -> str:
    """A text the documents print (R14, R15): only characters the fonts draw; a required one has
    one that is not white space."""
    if required:
        return f"^{PRINTABLE_CLASS}*{_PRINTABLE_NOT_SPACE_CLASS}{PRINTABLE_CLASS}*$"
    return f"^{PRINTABLE_CLASS}*$"


# Control characters, U+2028/U+2029 and the noncharacters U+FFFE/U+FFFF (fields._no_control_characters;
# lone surrogates cannot be said in a pattern both dialects read alike).
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ufffe\\uffff]*$"

# An id: letters and digits of any script and -_.: after the first (fields._identifier), so no
# ASCII other than those; the normal form and the letter categories beyond ASCII are not said.
_ID_FIRST = "[^\\u0000-\\u002f\\u003a-\\u0040\\u005b-\\u0060\\u007b-\\u007f]"
_ID_NEXT = "[^\\u0000-\\u002c\\u002f\\u003b-\\u0040\\u005b-\\u005e\\u0060\\u007b-\\u007f]"
IDENTIFIER = f"^{_ID_FIRST}{_ID_NEXT}*$"


def _either_case(letter: str) -> str:
    return f"[{letter.upper()}{letter.lower()}]"


def _spaced(unit: str, count: int | tuple[int, int], separators: str) -> str:
    """`count` characters of the class `unit`, each followed by any of `separators`."""
    times = f"{{{count}}}" if isinstance(count, int) else f"{{{count[0]},{count[1]}}}"
    return f"(?:{unit}[{separators}]*){times}"


def _letters(text: str, separators: str) -> str:
    return "".join(f"{_either_case(letter)}[{separators}]*" for letter in text)


# python-stdnum's compact: these separators anywhere, white space at either end, any letter case.
_IBAN_SEPARATORS = " .\\-"
_IBAN_UNITS = {"n": "[0-9]", "a": "[A-Za-z]", "c": "[A-Za-z0-9]"}


def _iban_of(country: str, structure: str) -> str:
    bban = "".join(
        _spaced(_IBAN_UNITS[kind], int(length), _IBAN_SEPARATORS)
        for length, kind in iban._struct_re.findall(structure)
    )
    return _letters(country, _IBAN_SEPARATORS) + _spaced("[0-9]", 2, _IBAN_SEPARATORS) + bban


# Every country of the IBAN registry with its account structure; the two check digits are not said.
IBAN = (
    "^[\\s.\\-]*(?:"
    + "|".join(
        _iban_of(country, info["bban"]) for _, country, _, info, _ in iban._ibandb.prefixes if "bban" in info
    )
    + ")[\\s.\\-]*$"
)

_BIC_SEPARATORS = " \\-"


def _bic_countries() -> str:
    by_first: dict[str, list[str]] = {}
    for code in sorted(bic._country_codes):
        by_first.setdefault(code[0], []).append(code[1])
    return (
        "(?:"
        + "|".join(
            f"{_either_case(first)}[{_BIC_SEPARATORS}]*[{''.join(seconds)}{''.join(seconds).lower()}]"
            for first, seconds in by_first.items()
        )
        + f")[{_BIC_SEPARATORS}]*"
    )


_BIC_BODY = (
    _spaced("[A-Za-z]", 4, _BIC_SEPARATORS)
    + _bic_countries()
    + _spaced("[A-Za-z0-9]", 2, _BIC_SEPARATORS)
    + f"(?:{_spaced('[A-Za-z0-9]', 3, _BIC_SEPARATORS)})?"
)
BIC = f"^[\\s\\-]*{_BIC_BODY}[\\s\\-]*$"
# An intermediator's OVT code (8-17 digits, spaces anywhere) or a bank's BIC.
OPERATOR_CODE = f"^(?: *(?:[0-9] *){{8,17}}|[\\s\\-]*{_BIC_BODY}[\\s\\-]*)$"
# fields._einvoice_address: spaces anywhere, then 4-35 of these.
EINVOICE_ADDRESS = "^ *(?:[0-9A-Za-z:._\\-] *){4,35}$"
# A Finnish business id (1234567-8), optionally with the FI prefix; hyphens and spaces anywhere.
BUSINESS_ID = f"^[\\s\\-]*(?:{_letters('FI', ' -')})?(?:[0-9][ \\-]*){{8}}[\\s\\-]*$"
# A Finnish reference (4-20 digits, spaces anywhere) or an RF creditor reference (ISO 11649:
# RF, two check digits, up to 21 letters and digits, its separators after the RF).
_RF_SEPARATORS = " .,/:\\-"
PAYMENT_REFERENCE = (
    "^(?: *(?:[0-9] *){4,20}"
    f"| *[Rr] *[Ff][{_RF_SEPARATORS}]*{_spaced('[A-Za-z0-9]', (3, 23), _RF_SEPARATORS)}\\s*)$"
)
# No quoted local part (email-validator's default), so no white space and one @.
SENDABLE_EMAIL = "^[^@\\s]+@[^@\\s]+$"
# A blank optional field (fields._blank_or).
BLANK = "^\\s*$"
