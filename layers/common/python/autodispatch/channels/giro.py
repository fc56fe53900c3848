"""The Finnish bank giro form (tilisiirtolomake, Finanssiala's Tilisiirto-opas) with its bank
barcode (Pankkiviivakoodi-opas), drawn in the bottom third of the print letter's first page.

The form is bilingual Finnish/Swedish by the standard, whatever the customer's language, and
holds: the recipient's IBAN and BIC, the recipient, the payer's name and address, signature and
"from account" lines left blank for the payer, the message (the invoice's number), the payment
reference, the due date and the amount in euros; the barcode area is at the bottom.

The barcode is the 54-digit virtual barcode (`barcode.virtual_barcode`) in Code 128, character
set C (start character 105, two digits per symbol character, the modulo-103 check character and
the stop character), drawn as vector bars: 0.3 mm modules, 13 mm high, with quiet zones of more
than ten modules on both sides (the README says which of these measurements are checked against
the guide).
"""

from typing import TYPE_CHECKING

from barcode import Code128
from stdnum import iban as iban_format

from autodispatch.channels.barcode import virtual_barcode
from autodispatch.channels.labels import display_reference, format_amount, format_date, label
from autodispatch.models.enums import DeliveryKind, Language
from autodispatch.models.scenario import Invoice, Tenant

if TYPE_CHECKING:
    from autodispatch.channels.pdf import _Document

# The form: the page's full width, the bottom 101.6 mm (4 inches) of A4.
FORM_HEIGHT = 101.6
FORM_TOP = 297.0 - FORM_HEIGHT
_PAGE_WIDTH = 210.0
# The left part (recipient and payer) and the right part (message, reference, due date, amount).
_DIVIDER = 111.6
# Each field's label column, then its value.
_LABEL_WIDTH = 19.0
# Field rows from the form's top, in millimetres: recipient's account, recipient, payer,
# signature, from account; the reference and the due date/amount rows sit on the right of the last two.
_ROWS = (0.0, 16.9, 29.6, 50.8, 59.3, 67.8, 76.3)
_LABEL_SIZE, _VALUE_SIZE = 6.0, 10.0
BARCODE_MODULE = 0.3
BARCODE_HEIGHT = 13.0
BARCODE_LEFT = 20.0
BARCODE_TOP = FORM_TOP + 80.0


def payable_barcode(invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> str | None:
    """The virtual barcode when the invoice is paid with the form: not a credit note, not a
    direct-payment notice, in euros to a Finnish account (the barcode's own conditions)."""
    if invoice.is_credit_note or kind is not DeliveryKind.INVOICE:
        return None
    return virtual_barcode(
        tenant.iban, invoice.totals.gross, invoice.reference, invoice.due_date, invoice.currency
    )


def code128_modules(digits: str) -> str:
    """The barcode's modules, "1" for a dark one, from start to stop character (python-barcode
    chooses character set C for an even number of digits)."""
    return str(Code128(digits).build()[0])


def _field(doc: "_Document", x: float, top: float, bottom: float, key: str) -> None:
    """A field's label in its label column, wrapped and shrunk to fit the field's height."""
    lines = doc.fit_lines([label(key, doc.language)], _LABEL_SIZE, _LABEL_WIDTH - 2, bottom - top - 1)
    doc.draw_block(x + 1, top + 0.8, lines)


def _value(doc: "_Document", x: float, top: float, bottom: float, right: float, texts: list[str]) -> None:
    """A field's value, wrapped and shrunk to fit its box."""
    lines = doc.fit_lines(texts, _VALUE_SIZE, right - x - 1.5, bottom - top - 2)
    doc.draw_block(x, top + 1.2, lines)


def draw_giro_form(
    doc: "_Document", invoice: Invoice, tenant: Tenant, payer: list[str], barcode: str
) -> None:
    """The form in the current page's bottom third; `payer` is the payer's name and address."""
    rows = [FORM_TOP + offset for offset in _ROWS]
    doc.set_line_width(0.2)
    doc.line(0, FORM_TOP, _PAGE_WIDTH, FORM_TOP)
    for y in rows[1:6]:
        doc.line(0, y, _DIVIDER, y)
    doc.line(_DIVIDER, rows[4], _PAGE_WIDTH, rows[4])
    doc.line(_DIVIDER, rows[5], _PAGE_WIDTH, rows[5])
    doc.line(0, rows[6], _PAGE_WIDTH, rows[6])
    doc.line(_DIVIDER, FORM_TOP, _DIVIDER, rows[6])
    doc.line(_LABEL_WIDTH, FORM_TOP, _LABEL_WIDTH, rows[5])
    doc.line(_DIVIDER + _LABEL_WIDTH, rows[4], _DIVIDER + _LABEL_WIDTH, rows[6])

    # The recipient's account: IBAN, and the BIC in its own box on the right.
    bic_left = _DIVIDER - 30
    doc.line(bic_left, FORM_TOP, bic_left, rows[1])
    _field(doc, 0, rows[0], rows[1], "giro_account")
    _value(doc, _LABEL_WIDTH + 2, rows[0] + 5, rows[1], bic_left, [str(iban_format.format(tenant.iban))])
    doc.put(bic_left + 1, rows[0] + 0.8, label("bic", doc.language), _LABEL_SIZE)
    _value(doc, bic_left + 2, rows[0] + 5, rows[1], _DIVIDER, [tenant.bic])

    _field(doc, 0, rows[1], rows[2], "giro_recipient")
    _value(doc, _LABEL_WIDTH + 2, rows[1], rows[2], _DIVIDER, [tenant.name])
    _field(doc, 0, rows[2], rows[3], "giro_payer")
    _value(doc, _LABEL_WIDTH + 2, rows[2], rows[3], _DIVIDER, payer)
    _field(doc, 0, rows[3], rows[4], "giro_signature")
    _field(doc, 0, rows[4], rows[5], "giro_from_account")

    # The message: what the payment is for.
    number = f"{label('number', Language.FI)} / {label('number', Language.SV)} {invoice.number}"
    _value(doc, _DIVIDER + 2, rows[0] + 2, rows[4], _PAGE_WIDTH - 5, [number])

    _field(doc, _DIVIDER, rows[4], rows[5], "giro_reference")
    reference = display_reference(invoice.reference)
    _value(doc, _DIVIDER + _LABEL_WIDTH + 2, rows[4], rows[5], _PAGE_WIDTH - 5, [reference])
    _field(doc, _DIVIDER, rows[5], rows[6], "giro_due_date")
    amount_left = _DIVIDER + _LABEL_WIDTH + 32
    doc.line(amount_left, rows[5], amount_left, rows[6])
    due = format_date(invoice.due_date, Language.FI)
    _value(doc, _DIVIDER + _LABEL_WIDTH + 2, rows[5], rows[6], amount_left, [due])
    doc.put(amount_left + 1, rows[5] + 0.8, label("giro_euro", doc.language), _LABEL_SIZE)
    amount = format_amount(invoice.totals.gross, Language.FI)
    _value(doc, amount_left + 9, rows[5], rows[6], _PAGE_WIDTH - 5, [amount])

    _bars(doc, code128_modules(barcode))


def _bars(doc: "_Document", modules: str) -> None:
    x = BARCODE_LEFT
    run_start: float | None = None
    for module in modules + "0":
        if module == "1" and run_start is None:
            run_start = x
        elif module == "0" and run_start is not None:
            doc.rect(run_start, BARCODE_TOP, x - run_start, BARCODE_HEIGHT, style="F")
            run_start = None
        x += BARCODE_MODULE
