"""The invoice PDF (R14) and the print letter (R15), drawn with fpdf2 on A4.

The invoice carries what a Finnish invoice needs: seller with business ID and address, buyer,
number, dates, rows with VAT, VAT per rate and totals (from `Invoice.totals`, computed there
only), IBAN, BIC, payment reference and the virtual bank barcode. The same invoice always gives
the same bytes: the creation date comes from the invoice.
"""

import threading
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont
from stdnum import iban as iban_format

from autodispatch.channels.barcode import virtual_barcode
from autodispatch.channels.labels import (
    display_reference,
    document_noun,
    document_title,
    format_amount,
    format_date,
    format_quantity,
    format_rate,
    label,
)
from autodispatch.channels.pdffonts import FALLBACK_FAMILY, FALLBACK_FONTKEY, FAMILY, embedded_fonts
from autodispatch.models.enums import DeliveryKind, Language
from autodispatch.models.scenario import Address, Invoice, Tenant

# Finnish standard window of a C5/C65 envelope (SFS 2487 style): 20 mm from the left edge,
# 45 mm from the top, 90 x 45 mm. The print letter's first page writes the address inside it.
WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT = 20.0, 45.0, 90.0, 45.0
# Text keeps clear of the window's edges, so a letter that shifts in the envelope stays readable.
_INSET = 5.0
_LEFT, _RIGHT_COLUMN, _WIDTH = 20.0, 115.0, 175.0
# Millimetres per point of font size: from a line's top to its baseline, and one line's height.
_BASELINE, _LINE = 0.30, 0.45
# Rows: description, quantity, unit price, VAT %, net. VAT by rate: rate, net, VAT, gross.
_ROW_COLUMNS = (90.0, 18.0, 25.0, 14.0, 28.0)
_VAT_COLUMNS = (75.0, 16.0, 28.0, 28.0, 28.0)

_COUNTRY_NAMES = {
    "SE": "SWEDEN",
    "NO": "NORWAY",
    "DK": "DENMARK",
    "IS": "ICELAND",
    "EE": "ESTONIA",
    "LV": "LATVIA",
    "LT": "LITHUANIA",
    "DE": "GERMANY",
    "PL": "POLAND",
    "NL": "NETHERLANDS",
    "BE": "BELGIUM",
    "FR": "FRANCE",
    "ES": "SPAIN",
    "PT": "PORTUGAL",
    "IT": "ITALY",
    "AT": "AUSTRIA",
    "CH": "SWITZERLAND",
    "IE": "IRELAND",
    "GB": "UNITED KINGDOM",
    "US": "UNITED STATES",
}


def postal_lines(name: str, address: Address, home_country: str = "FI") -> list[str]:
    """The address block: name, street lines, postcode and town, country when abroad."""
    lines = [
        name,
        *(street for street in address.street if street.strip()),
        f"{address.postcode} {address.town}",
    ]
    if address.country != home_country:
        lines.append(_COUNTRY_NAMES.get(address.country, address.country))
    return lines


class _Document(FPDF):
    def __init__(self, created: datetime, language: Language, title: str, author: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.fonts_source = embedded_fonts()
        self.fonts_source.install(self)
        self.language = language
        self.set_creation_date(created)
        self.set_title(self.fonts_source.renderable(title))
        self.set_author(self.fonts_source.renderable(author))
        self.set_creator("autodispatch")
        self.set_margins(_LEFT, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.footer_label = ""

    def footer(self) -> None:
        self.put(
            _LEFT,
            297 - 12,
            f"{self.footer_label}  {label('page', self.language)} {self.page_no()}",
            7,
            align="R",
            width=_WIDTH,
        )

    def put(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9,
        style: str = "",
        align: str = "L",
        width: float = 0,
    ) -> None:
        """One line of text whose top is at `y`; `text()` is several times cheaper than `cell()`."""
        self.set_font(FAMILY, style, size)
        text = self.renderable(text)
        if align == "R":
            x = x + width - self.get_string_width(text)
        self.text_runs(x, y + size * _BASELINE, text)

    def renderable(self, text: str) -> str:
        """What of `text` the fonts can draw, putting the fallback font in when the text needs it."""
        return self.fonts_source.use(self, text)

    def text_runs(self, x: float, y: float, text: str) -> None:
        """`text()`, which ignores fallback fonts: what the current font lacks is drawn, run by run,
        in the fallback font (as `multi_cell()` and `get_string_width()` do by themselves)."""
        font = self.current_font
        if FALLBACK_FONTKEY not in self.fonts or not isinstance(font, TTFFont):
            self.text(x, y, text)
            return
        cmap = font.cmap
        if all(ord(char) in cmap or char == "\n" for char in text):
            self.text(x, y, text)
            return
        style, size = self.font_style, self.font_size_pt
        for own, chars in groupby(text, key=lambda char: ord(char) in cmap or char == "\n"):
            run = "".join(chars)
            if not own:
                self.set_font(FALLBACK_FAMILY, "", size)
            self.text(x, y, run)
            x += self.get_string_width(run)
            if not own:
                self.set_font(FAMILY, style, size)

    def wrapped(self, x: float, y: float, width: float, text: str, size: float = 9, style: str = "") -> float:
        """Text that may need several lines; returns the y below it."""
        self.set_font(FAMILY, style, size)
        text = self.renderable(text)
        height = size * _LINE
        if self.get_string_width(text) <= width:
            self.text_runs(x, y + size * _BASELINE, text)
            return y + height
        self.set_xy(x, y)
        self.multi_cell(width, height, text, align="L", padding=0, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return self.get_y()

    def lines_at(self, x: float, y: float, width: float, lines: Sequence[str], size: float = 9) -> float:
        for line in lines:
            y = self.wrapped(x, y, width, line, size)
        return y

    def finish(self) -> bytes:
        self.fonts_source.prepare_output(self)
        return bytes(self.output())


def _key_values(
    doc: _Document, x: float, y: float, pairs: Sequence[tuple[str, str]], size: float = 8.5
) -> float:
    for key, value in pairs:
        doc.put(x, y, key, size)
        doc.put(x + 38, y, value, size, "B")
        y += size * _LINE + 0.8
    return y


def _row(
    doc: _Document,
    values: Sequence[str],
    bold: bool = False,
    size: float = 8,
    columns: Sequence[float] = _ROW_COLUMNS,
) -> None:
    """One table row; the first column wraps and the row grows to fit it."""
    style = "B" if bold else ""
    doc.set_font(FAMILY, style, size)
    first = doc.renderable(values[0])
    lines = 1
    if doc.get_string_width(first) > columns[0] - 2:
        wrapped = doc.multi_cell(columns[0] - 2, size * _LINE, first, dry_run=True, output="LINES", padding=0)
        lines = len(wrapped) if isinstance(wrapped, list) else 2
    height = size * _LINE * lines + 0.6
    if doc.will_page_break(height):
        doc.add_page()
    y = doc.get_y()
    doc.wrapped(_LEFT, y, columns[0] - 2, first, size, style)
    x = _LEFT + columns[0]
    for width, text in zip(columns[1:], values[1:], strict=True):
        doc.put(x, y, text, size, style, align="R", width=width)
        x += width
    doc.set_xy(_LEFT, y + height)


def _rule(doc: _Document) -> None:
    y = doc.get_y() + 0.8
    doc.line(_LEFT, y, _LEFT + _WIDTH, y)
    doc.set_y(y + 1.2)


def draw_invoice(doc: _Document, invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> None:
    """The invoice pages, starting on a new page of `doc`."""
    language = invoice.customer.language
    totals = invoice.totals
    title = document_title(invoice, kind, language)
    doc.footer_label = f"{title} {invoice.number}"
    doc.add_page()

    # Seller, top left; title and key facts, top right.
    doc.put(_LEFT, 15, tenant.name, 11, "B")
    seller = [*tenant.address.street, f"{tenant.address.postcode} {tenant.address.town}"]
    seller.append(f"{label('business_id', language)} {tenant.business_id}")
    doc.lines_at(_LEFT, 21, 90, seller, 8.5)
    doc.put(_RIGHT_COLUMN, 15, title, 14, "B")
    facts = [
        (label("number", language), invoice.number),
        (label("invoice_date", language), format_date(invoice.invoice_date, language)),
        (label("due_date", language), format_date(invoice.due_date, language)),
        (label("reference", language), display_reference(invoice.reference)),
    ]
    _key_values(doc, _RIGHT_COLUMN, 23, facts)

    # Buyer in the address window position, so the first page also fits a windowed envelope.
    customer = invoice.customer
    if customer.address is not None:
        buyer = postal_lines(customer.name, customer.address, tenant.address.country)
    else:
        buyer = [customer.name]
    if customer.business_id:
        buyer.append(f"{label('business_id', language)} {customer.business_id}")
    doc.lines_at(WINDOW_LEFT + _INSET, WINDOW_TOP + 8, WINDOW_WIDTH - 2 * _INSET, buyer, 10)

    # Rows.
    doc.set_y(WINDOW_TOP + WINDOW_HEIGHT + 8)
    headings = ("description", "quantity", "unit_price", "vat_rate", "net")
    _row(doc, [label(key, language) for key in headings], bold=True)
    _rule(doc)
    for line in invoice.lines:
        _row(
            doc,
            [
                line.description,
                format_quantity(line.quantity, language),
                format_amount(line.unit_price, language),
                format_rate(line.vat_rate, language),
                format_amount(line.net, language),
            ],
        )
    _rule(doc)

    # VAT per rate and totals, as `Invoice.totals` computed them.
    doc.ln(2)
    vat_headings = ("vat_breakdown", "vat_rate", "net", "vat", "gross")
    _row(doc, [label(key, language) for key in vat_headings], bold=True, columns=_VAT_COLUMNS)
    for entry in totals.per_rate:
        amounts = [format_amount(value, language) for value in (entry.net, entry.vat, entry.gross)]
        _row(doc, ["", format_rate(entry.vat_rate, language), *amounts], columns=_VAT_COLUMNS)
    _rule(doc)
    total_amounts = [format_amount(value, language) for value in (totals.net, totals.vat, totals.gross)]
    _row(doc, [label("total", language), "", *total_amounts], bold=True, columns=_VAT_COLUMNS)
    total_label = label("credit_total" if invoice.is_credit_note else "amount_due", language)
    doc.ln(1)
    due = f"{format_amount(totals.gross, language)} {invoice.currency}"
    _row(doc, [total_label, "", "", "", due], bold=True, size=10, columns=_VAT_COLUMNS)

    _payment_block(doc, invoice, tenant, kind)


def _payment_block(doc: _Document, invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> None:
    language = invoice.customer.language
    if doc.will_page_break(48):
        doc.add_page()
    doc.ln(6)
    top = doc.get_y()
    doc.put(_LEFT, top, label("payment", language), 10, "B")
    pairs = [
        (label("iban", language), str(iban_format.format(tenant.iban))),
        (label("bic", language), tenant.bic),
        (label("reference", language), display_reference(invoice.reference)),
        (label("due_date", language), format_date(invoice.due_date, language)),
    ]
    if not invoice.is_credit_note:
        pairs.append(
            (
                label("amount_due", language),
                f"{format_amount(invoice.totals.gross, language)} {invoice.currency}",
            )
        )
    y = _key_values(doc, _LEFT, top + 6, pairs)
    notes: list[str] = []
    if invoice.is_credit_note:
        notes.append(label("credit_note_text", language))
    elif kind is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        notes.append(label("direct_payment_text", language))
    else:
        barcode = virtual_barcode(
            tenant.iban, invoice.totals.gross, invoice.reference, invoice.due_date, invoice.currency
        )
        if barcode is not None:
            y = _key_values(doc, _LEFT, y + 1, [(label("barcode", language), barcode)], 8)
    if notes:
        doc.lines_at(_LEFT, y + 2, _WIDTH, notes, 9)


# The parsed fonts are shared per process and fpdf2 mutates them while writing a document. A Lambda
# environment handles one event at a time, so this never waits there; the local runtime runs
# concurrent executions on threads.
_RENDERING = threading.Lock()


def render_invoice_pdf(invoice: Invoice, tenant: Tenant, kind: DeliveryKind = DeliveryKind.INVOICE) -> bytes:
    """The invoice (or credit note, or direct-payment notice) as a PDF."""
    with _RENDERING:
        return _render_invoice_pdf(invoice, tenant, kind)


def _render_invoice_pdf(invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> bytes:
    language = invoice.customer.language
    title = f"{document_title(invoice, kind, language)} {invoice.number}"
    doc = _Document(invoice.created_at, language, title, tenant.name)
    draw_invoice(doc, invoice, tenant, kind)
    return doc.finish()


def render_print_letter(invoice: Invoice, tenant: Tenant, kind: DeliveryKind = DeliveryKind.INVOICE) -> bytes:
    """R15: an address sheet for a C5/C65 window envelope, then the invoice pages.

    The sender's return address is the small first line of the window; the recipient's name,
    street, postcode and town follow inside the window.
    """
    with _RENDERING:
        return _render_print_letter(invoice, tenant, kind)


def _render_print_letter(invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> bytes:
    customer = invoice.customer
    if customer.address is None:
        raise ValueError("a print letter needs the customer's postal address")
    language = customer.language
    title = f"{document_title(invoice, kind, language)} {invoice.number}"
    doc = _Document(invoice.created_at, language, title, tenant.name)
    doc.footer_label = title
    doc.add_page()
    doc.put(_LEFT, 15, tenant.name, 11, "B")
    sender = tenant.address
    return_line = ", ".join([tenant.name, *sender.street, f"{sender.postcode} {sender.town}"])
    inner = WINDOW_WIDTH - 2 * _INSET
    doc.wrapped(WINDOW_LEFT + _INSET, WINDOW_TOP + 3, inner, return_line, 6.5)
    doc.line(WINDOW_LEFT + _INSET, WINDOW_TOP + 6.5, WINDOW_LEFT + _INSET + inner, WINDOW_TOP + 6.5)
    recipient = postal_lines(customer.name, customer.address, sender.country)
    doc.lines_at(WINDOW_LEFT + _INSET, WINDOW_TOP + 10, inner, recipient, 10)
    noun = document_noun(invoice, kind, language)
    enclosed = label("letter_enclosed", language).format(document=noun, number=invoice.number)
    summary = [
        enclosed,
        f"{label('due_date', language)}: {format_date(invoice.due_date, language)}",
        f"{label('total', language)}: {format_amount(invoice.totals.gross, language)} {invoice.currency}",
    ]
    doc.lines_at(_LEFT, WINDOW_TOP + WINDOW_HEIGHT + 15, _WIDTH, summary, 10)
    draw_invoice(doc, invoice, tenant, kind)
    return doc.finish()
