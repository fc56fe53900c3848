"""The largest invoice the input limits allow (models/limits.py, the README's limits table).

Every text at its maximum length, 150 lines of 512-character descriptions, amounts whose columns
are as wide as they can get (a line net and the gross just under 10^15, quantities and unit prices
with 15 digits). `wide` writes every text in full-width or astral characters (the widest glyphs a
limit allows); otherwise it is Finnish words, which wrap at spaces as real descriptions do.
`variant` (1, 2, ...) makes distinct invoices of the same size: other words, with letters beyond
Latin-1, and other astral letters, so that a benchmark over them measures documents that share
nothing but their fonts. Used by the render benchmark and the documents' layout tests.
"""

from typing import Any

from autodispatch.models import limits
from autodispatch.models.scenario import Invoice, Tenant

# A full-width digit (U+FF11) and a four-byte letter (MATHEMATICAL BOLD CAPITAL W, U+1D416).
FULL_WIDTH = "\uff11"
ASTRAL = "\U0001d416"
_WORDS = "Kokouspaketti: kahvi, tee, pullat, hedelmät ja kivennäisvesi koko päiväksi. "
_OTHER_WORDS = (
    "Łódź",
    "Škoda",
    "Őrség",
    "Çay",
    "Ærøskøbing",
    "Güneş",
    "Ķekava",
    "Tōkyō",
    "Žalgiris",
    "Ħamrun",
)
# Mathematical bold and bold italic capitals and small letters (no reserved code points among them).
_ASTRAL_LETTERS = [chr(code) for code in (*range(0x1D400, 0x1D434), *range(0x1D468, 0x1D49C))]


def _text(length: int, wide: bool, words: str = _WORDS, variant: int = 0) -> str:
    if wide:
        if not variant:
            return (ASTRAL * length)[:length]
        letters = _ASTRAL_LETTERS[variant % 7 :: 7]
        return "".join(letters[(variant + index) % len(letters)] for index in range(length))
    if variant:
        other = " ".join(_OTHER_WORDS[(variant + index) % len(_OTHER_WORDS)] for index in range(3))
        words = f"{variant}/{other}: {words}"
    return (words * (length // len(words) + 1))[:length].strip().ljust(length, "x")


def maximal_tenant(wide: bool = False, variant: int = 0) -> Tenant:
    return Tenant.model_validate(
        {
            "tenant_id": "t" * limits.ID_MAX_BYTES,
            "name": _text(limits.NAME_MAX_LENGTH, wide, "Wärtsilä Maximal Holding Oy ", variant),
            "business_id": "2345678-0",
            "address": {
                "street": [_text(limits.ADDRESS_LINE_MAX_LENGTH, wide, "Mannerheimintie 1 A ")]
                * limits.STREET_MAX_LINES,
                "postcode": "00100",
                "town": _text(limits.ADDRESS_LINE_MAX_LENGTH, wide, "Helsinki "),
                "country": "FI",
            },
            "iban": "FI4950009420028730",
            "bic": "OKOYFIHH",
            "einvoice_address": "003723456780",
            "einvoice_operator": "003721291126",
        }
    )


def _lines(wide: bool, variant: int) -> list[dict[str, Any]]:
    # Quantities and unit prices have 15 digits, 6 after the point. Pairs of lines with nets of
    # +/- 999 999 998 999 999,00 cancel out, so every line net is as wide as it can be and the
    # totals stay under 10^15; the last two lines bring the gross just under 10^15.
    biggest = {"unit_price": "999999999.999999", "vat_rate": "25.5"}
    lines = [
        {**biggest, "quantity": "999999.999999" if index % 2 == 0 else "-999999.999999"}
        for index in range(limits.LINES_MAX - 2)
    ]
    lines.append({"quantity": "796812.749003", "unit_price": "999999999.999999", "vat_rate": "25.5"})
    lines.append({"quantity": "-123456789.123456", "unit_price": "0.000001", "vat_rate": "13.5"})
    for index, line in enumerate(lines):
        line["description"] = _text(
            limits.LINE_DESCRIPTION_MAX_LENGTH, wide, f"{index + 1}. {_WORDS}", variant
        )
    return lines


def maximal_invoice(language: str = "fi", wide: bool = False, variant: int = 0) -> Invoice:
    street = _text(limits.ADDRESS_LINE_MAX_LENGTH, wide, "Pitkäkatu 123 B 45 ")
    return Invoice.model_validate(
        {
            "tenant_id": "t" * limits.ID_MAX_BYTES,
            "invoice_id": "i" * limits.ID_MAX_BYTES,
            "number": FULL_WIDTH * limits.INVOICE_NUMBER_MAX_LENGTH,
            "source": "MANUAL",
            "status": "UNSENT",
            "created_at": "2026-03-09T13:00:00+02:00",
            "invoice_date": "2026-03-09",
            "due_date": "2026-03-23",
            "delivery_channel": "PRINT",
            "reference": "1232",
            "currency": "EUR",
            "customer": {
                "type": "BUSINESS",
                "name": _text(
                    limits.CUSTOMER_NAME_MAX_LENGTH, wide, "Rakennus- ja Kiinteistöpalvelut ", variant
                ),
                "business_id": _text(limits.BUSINESS_ID_MAX_LENGTH, wide, "0112038-9 "),
                "email": "ostolaskut@rakennus.example",
                "address": {
                    "street": [street] * limits.STREET_MAX_LINES,
                    "postcode": _text(limits.ADDRESS_LINE_MAX_LENGTH, wide, "SE-123 45 "),
                    "town": _text(limits.ADDRESS_LINE_MAX_LENGTH, wide, "Kristinestad Lappfjärd "),
                    "country": "SE",
                },
                "language": language,
            },
            "lines": _lines(wide, variant),
        }
    )
