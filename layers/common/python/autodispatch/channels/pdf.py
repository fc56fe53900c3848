"""The invoice PDF (R14) and the print letter (R15), drawn with fpdf2 on A4.

The invoice carries what a Finnish invoice needs: seller with business ID and address, buyer,
number, dates, rows with VAT, VAT per rate and totals (from `Invoice.totals`, computed there
only), IBAN, BIC, payment reference and the virtual bank barcode. The print letter's first page
is the address sheet for a window envelope with the Finnish bank giro form (`giro.py`). The same
invoice always gives the same bytes: the creation date comes from the invoice.

Every text is laid out in a box and stays inside it at every input limit (README, input limits):
long texts wrap, names and addresses shrink until their block fits (the address inside the
envelope window), amounts shrink to their column. Lines are broken here, with widths cached per
character (`pdffonts.CharWidths`), not by fpdf2's `multi_cell`, whose line breaking grows
quadratically with the text: the largest invoice the limits allow took 1.4 s that way.
"""

import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate, groupby
from typing import NamedTuple

from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.output import OutputProducer, PDFFont, PDFType3Font
from fpdf.syntax import PDFContentStream
from stdnum import iban as iban_format

from autodispatch.channels import giro
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
from autodispatch.channels.pdffonts import DocumentFont, embedded_fonts
from autodispatch.models.enums import DeliveryKind, Language
from autodispatch.models.scenario import Address, Invoice, Tenant

# The address field of DIN 5008 form B, which the windows of C5, C4 and C65 envelopes (DIN 680)
# show: 20 mm from the left edge, 45 mm from the top, 90 x 45 mm. The print letter's first page
# writes the return address and the recipient inside it.
WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT = 20.0, 45.0, 90.0, 45.0
# Text keeps clear of the window's edges, so a letter that shifts in the envelope stays readable.
_INSET = 5.0
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
_LEFT, _RIGHT_COLUMN, _WIDTH = 20.0, 115.0, 175.0
RIGHT_EDGE = _LEFT + _WIDTH
# Millimetres per point of font size: from a line's top to its baseline, and one line's height.
# Both leave room for the tallest font's ascent and descent (Droid Sans Fallback: 1.07 and 0.27
# em), so that no glyph box reaches into the line above or below.
_BASELINE, _LINE = 0.38, 0.48
_MM_PER_PT = 25.4 / 72
# Rows: description, quantity, unit price, VAT %, net. VAT by rate: rate, net, VAT, gross.
_ROW_COLUMNS = (80.0, 22.0, 27.0, 14.0, 32.0)
_VAT_COLUMNS = (75.0, 16.0, 28.0, 28.0, 28.0)
# The amount due spans the VAT table's number columns.
_DUE_COLUMNS = (75.0, 100.0)
# Space kept between a column's text and the next column.
_GAP = 1.5
# The smallest size a shrinking text may take, in points.
_MIN_SIZE = 5.0
_ELLIPSIS = "…"

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


@dataclass(frozen=True)
class Piece:
    """A text of a block, before it is wrapped: its size at full scale and its style."""

    text: str
    size: float
    style: str = ""


class Cell(NamedTuple):
    """A renderable text to draw with its baseline starting at (x, y)."""

    x: float
    y: float
    size: float
    text: str


@dataclass(frozen=True)
class Placed:
    """One line of a laid-out block, `top` millimetres below the block's top."""

    text: str
    size: float
    style: str
    top: float


class _Document(FPDF):
    def __init__(self, created: datetime, language: Language, title: str, author: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.fonts_source = embedded_fonts()
        # The faces this document draws with, by face key; numbered as its font resources.
        self.used_fonts: dict[str, DocumentFont] = {}
        self.beyond: set[str] = set()
        self.language = language
        self.set_creation_date(created)
        self.set_title(self.fonts_source.renderable(title))
        self.set_author(self.fonts_source.renderable(author))
        self.set_creator("autodispatch")
        self.set_margins(_LEFT, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.footer_label = ""
        # Pages whose bottom is the giro form carry no footer there.
        self.pages_without_footer: set[int] = set()

    def footer(self) -> None:
        if self.page_no() in self.pages_without_footer:
            return
        text = f"{self.footer_label}  {label('page', self.language)} {self.page_no()}"
        self.put(_LEFT, PAGE_HEIGHT - 12, text, 7, align="R", width=_WIDTH)

    # --- measuring and breaking text -------------------------------------------------------------

    def measure(self, text: str, size: float, style: str = "") -> float:
        """The width of renderable `text` in millimetres."""
        widths = self.fonts_source.widths[style]
        return sum(map(widths.__getitem__, text)) * size * _MM_PER_PT / 1000

    def wrap(self, text: str, width: float, size: float, style: str = "") -> list[str]:
        """Renderable `text` broken into lines no wider than `width`: at spaces, and inside a word
        only when the word alone is wider. Linear in the text's length: each paragraph's running
        width is summed once (at C speed), and each line ends where the running width passes the
        limit (found by bisection), moved back to the last space before it."""
        width_of = self.fonts_source.widths[style].__getitem__
        limit = width * 1000 / (size * _MM_PER_PT)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            # running[i]: the width of paragraph[:i], exact (the fonts' widths are integers).
            running = [0.0, *accumulate(map(width_of, paragraph))]
            start, length = 0, len(paragraph)
            while True:
                while start < length and paragraph[start] == " ":  # a line never starts with a space
                    start += 1
                # The longest line from `start` that fits.
                end = bisect_right(running, running[start] + limit, start) - 1
                if end < length and paragraph[end] != " ":
                    space = paragraph.rfind(" ", start + 1, end)
                    # No space fits: the first word is wider than the line and is cut (after at
                    # least one character).
                    end = space if space >= 0 else max(end, start + 1)
                lines.append(paragraph[start:end])
                if end >= length:
                    break
                start = end
        return lines

    def clipped(self, text: str, width: float, size: float, style: str = "") -> str:
        """Renderable `text` cut with an ellipsis so that it fits `width` at `size`."""
        if self.measure(text, size, style) <= width:
            return text
        room = width - self.measure(_ELLIPSIS, size, style)
        widths = self.fonts_source.widths[style]
        limit, used, kept = room * 1000 / (size * _MM_PER_PT), 0.0, 0
        for char in text:
            used += widths[char]
            if used > limit:
                break
            kept += 1
        return text[:kept].rstrip() + _ELLIPSIS

    def fit_block(self, pieces: Sequence[Piece], width: float, height: float) -> list[Placed]:
        """The pieces wrapped to `width`, all scaled down together until they fit `height` (not
        below `_MIN_SIZE`); at the smallest size, lines that still do not fit are cut and the last
        one kept ends with an ellipsis."""
        texts = [(self.renderable(piece.text), piece) for piece in pieces]
        smallest = min(piece.size for piece in pieces)
        scale = 1.0
        while True:
            placed: list[Placed] = []
            top = 0.0
            for text, piece in texts:
                size = max(_MIN_SIZE, piece.size * scale)
                for line in self.wrap(text, width, size, piece.style):
                    placed.append(Placed(line, size, piece.style, top))
                    top += size * _LINE
            if top <= height or smallest * scale <= _MIN_SIZE:
                break
            scale = max(scale * 0.9, _MIN_SIZE / smallest)
        kept = [line for line in placed if line.top + line.size * _LINE <= height + 1e-6]
        if len(kept) < len(placed) and kept:
            last = kept[-1]
            cut = self.clipped(last.text + _ELLIPSIS, width, last.size, last.style)
            kept[-1] = Placed(cut, last.size, last.style, last.top)
        return kept

    def fit_lines(self, texts: Sequence[str], size: float, width: float, height: float) -> list[Placed]:
        """`fit_block` for texts of one size and style."""
        return self.fit_block([Piece(text, size) for text in texts], width, height)

    # --- drawing ------------------------------------------------------------------------------

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
        """One line of text whose top is at `y`; with a `width`, shrunk to fit it."""
        self.cells(style, [self.text_cell(x, y, text, size, style, align, width)])

    def text_cell(
        self, x: float, y: float, text: str, size: float, style: str = "", align: str = "L", width: float = 0
    ) -> "Cell":
        """Where `put` would draw `text`, for drawing with others of its style in one go."""
        text = self.renderable(text)
        if width:
            natural = self.measure(text, size, style)
            if natural > width:
                size = max(_MIN_SIZE, size * width / natural)
                natural = self.measure(text, size, style)
                if natural > width:
                    text = self.clipped(text, width, size, style)
                    natural = self.measure(text, size, style)
            if align == "R":
                x += width - natural
        return Cell(x, y + size * _BASELINE, size, text)

    def renderable(self, text: str) -> str:
        """What of `text` the fonts can draw. The characters DejaVu Sans lacks are collected
        (`beyond`): the fallback fonts embed them, and a text made only of characters seen before
        is not looked at again."""
        if self.fonts_source.covered_chars.issuperset(text) or self.beyond.issuperset(text):
            return text
        text = self.fonts_source.renderable(text)
        self.beyond.update(text)
        self.beyond -= self.fonts_source.covered_chars
        return text

    def cells(self, style: str, cells: Sequence["Cell"]) -> None:
        """Renderable texts of one style, each at its baseline and size, in one text object; what
        the style's font lacks is drawn run by run in the fallback fonts."""
        if not cells:
            return
        own = self.fonts_source.own_chars[style]
        drawer = self.fonts_source.drawers[style]
        k, height = self.k, self.h
        # This call's fonts by `Drawer` index (-1: the style's own).
        fonts: dict[int, DocumentFont] = {}
        parts = [b"BT"]
        current: tuple[int, float] = (0, 0.0)
        for cell in cells:
            x = cell.x
            if own.issuperset(cell.text):
                runs: list[tuple[int, str]] = [(-1, cell.text)]
            else:
                first = drawer[cell.text[0]]
                if first >= 0 and self.fonts_source.drawn_by(style, first).issuperset(cell.text):
                    runs = [(first, cell.text)]
                else:
                    grouped = groupby(cell.text, drawer.__getitem__)
                    runs = [(index, "".join(chars)) for index, chars in grouped]
            for index, run in runs:
                font = fonts.get(index)
                if font is None:
                    font = fonts[index] = self._font(style, index)
                if index < 0:  # the fallback fonts' characters are collected by `renderable`
                    font.used.update(run)
                if (font.number, cell.size) != current:
                    current = (font.number, cell.size)
                    self._resource_catalog.add(PDFResourceType.FONT, font.number, self.page)
                    parts.append(b"/F%d %.2f Tf" % current)
                position = (x * k, (height - cell.y) * k)
                parts.append(b"1 0 0 1 %.2f %.2f Tm (%b) Tj" % (*position, font.encode(run)))
                if len(runs) > 1:
                    x += self.measure(run, cell.size, style)
        parts.append(b"ET")
        self._out(b" ".join(parts))

    def _font(self, style: str, index: int) -> DocumentFont:
        """This document's use of the face drawing `Drawer` index `index` in `style`."""
        face = self.fonts_source.face(style, index)
        font = self.used_fonts.get(face.fontkey)
        if font is None:
            font = self.used_fonts[face.fontkey] = DocumentFont(face, len(self.used_fonts) + 1)
        return font

    def draw_block(self, x: float, y: float, lines: Sequence[Placed]) -> float:
        """Draws laid-out lines; returns the y below the last."""
        for style, group in groupby(lines, key=lambda line: line.style):
            self.cells(
                style, [Cell(x, y + line.top + line.size * _BASELINE, line.size, line.text) for line in group]
            )
        return y + (lines[-1].top + lines[-1].size * _LINE if lines else 0.0)

    def wrapped(self, x: float, y: float, width: float, text: str, size: float = 9, style: str = "") -> float:
        """Text that may need several lines; returns the y below it."""
        lines = self.wrap(self.renderable(text), width, size, style)
        step = size * _LINE
        self.cells(
            style,
            [Cell(x, y + size * _BASELINE + step * index, size, line) for index, line in enumerate(lines)],
        )
        return y + step * len(lines)

    def lines_at(self, x: float, y: float, width: float, lines: Sequence[str], size: float = 9) -> float:
        for line in lines:
            y = self.wrapped(x, y, width, line, size)
        return y

    def finish(self) -> bytes:
        if self.beyond:
            fallback_index = self.fonts_source.fallback_index
            for index, face in enumerate(self.fonts_source.fallbacks):
                font = self.used_fonts.get(face.fontkey)
                if font is not None:
                    font.used.update(char for char in self.beyond if fallback_index[char] == index)
        return bytes(self.output(output_producer_class=_Output))


# fpdf2 deflates every stream (the pages' text, the fonts' subsets) at the zlib level this class
# attribute gives, for every document of the process: 3 instead of zlib's default 6 takes a fifth
# of the time for PDFs 2-11 % larger (the largest invoice's streams: 7.6 ms and 39 kB at 6, 1.7 ms
# and 43 kB at 3). Size matters little here: an email attachment or a letter to print.
PDFContentStream._COMPRESSION_LEVEL = 3


class _Output(OutputProducer):
    """fpdf2's output with the document's fonts written by `DocumentFont`."""

    def _add_fonts(self, *_: object) -> dict[int, PDFFont | PDFType3Font]:
        document = self.fpdf
        assert isinstance(document, _Document)
        fonts = sorted(document.used_fonts.values(), key=lambda font: font.number)
        return {font.number: font.add_objects(self._add_pdf_obj) for font in fonts}


def _key_values(
    doc: _Document,
    x: float,
    y: float,
    pairs: Sequence[tuple[str, str]],
    size: float = 8.5,
    right: float = RIGHT_EDGE,
) -> float:
    """Labels in a 38 mm column (shrunk to it), values wrapped in the rest up to `right`."""
    for key, value in pairs:
        doc.put(x, y, key, size, width=38 - _GAP)
        y = max(y + size * _LINE, doc.wrapped(x + 38, y, right - x - 38, value, size, "B")) + 0.8
    return y


def _row(
    doc: _Document,
    values: Sequence[str],
    bold: bool = False,
    size: float = 8,
    columns: Sequence[float] = _ROW_COLUMNS,
) -> None:
    """One table row; the first column wraps and the row grows to fit it, the others (numbers)
    shrink to their column."""
    style = "B" if bold else ""
    first = doc.renderable(values[0])
    lines = doc.wrap(first, columns[0] - 2, size, style)
    height = size * _LINE * len(lines) + 0.6
    if doc.will_page_break(height):
        doc.add_page()
    y = doc.get_y()
    step = size * _LINE
    cells = [Cell(_LEFT, y + size * _BASELINE + step * index, size, line) for index, line in enumerate(lines)]
    x = _LEFT + columns[0]
    for width, text in zip(columns[1:], values[1:], strict=True):
        cells.append(doc.text_cell(x + _GAP, y, text, size, style, align="R", width=width - _GAP))
        x += width
    doc.cells(style, cells)
    doc.set_xy(_LEFT, y + height)


def _rule(doc: _Document) -> None:
    y = doc.get_y() + 0.8
    doc.line(_LEFT, y, _LEFT + _WIDTH, y)
    doc.set_y(y + 1.2)


def _buyer_lines(invoice: Invoice, tenant: Tenant) -> list[str]:
    customer = invoice.customer
    if customer.address is not None:
        return postal_lines(customer.name, customer.address, tenant.address.country)
    return [customer.name]


def _window_box() -> tuple[float, float]:
    """Left edge and width of the text inside the envelope window."""
    return WINDOW_LEFT + _INSET, WINDOW_WIDTH - 2 * _INSET


def _seller_header(doc: _Document, tenant: Tenant, width: float) -> None:
    """The seller's name and address, above the envelope window."""
    seller = [
        Piece(tenant.name, 11, "B"),
        *(Piece(line, 8.5) for line in tenant.address.street),
        Piece(f"{tenant.address.postcode} {tenant.address.town}", 8.5),
        Piece(f"{label('business_id', doc.language)} {tenant.business_id}", 8.5),
    ]
    doc.draw_block(_LEFT, 15, doc.fit_block(seller, width, WINDOW_TOP - 2 - 15))


def draw_invoice(doc: _Document, invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> None:
    """The invoice pages, starting on a new page of `doc`."""
    language = invoice.customer.language
    totals = invoice.totals
    title = document_title(invoice, kind, language)
    doc.footer_label = f"{title} {invoice.number}"
    doc.add_page()

    # Seller, top left; title and key facts, top right.
    _seller_header(doc, tenant, _RIGHT_COLUMN - _LEFT - 5)
    doc.put(_RIGHT_COLUMN, 15, title, 14, "B", width=RIGHT_EDGE - _RIGHT_COLUMN)
    facts = [
        (label("number", language), invoice.number),
        (label("invoice_date", language), format_date(invoice.invoice_date, language)),
        (label("due_date", language), format_date(invoice.due_date, language)),
        (label("reference", language), display_reference(invoice.reference)),
    ]
    facts_bottom = _key_values(doc, _RIGHT_COLUMN, 23, facts)

    # Buyer in the address window position, so the first page also fits a windowed envelope.
    buyer = [Piece(line, 10) for line in _buyer_lines(invoice, tenant)]
    if invoice.customer.business_id:
        buyer.append(Piece(f"{label('business_id', language)} {invoice.customer.business_id}", 10))
    left, width = _window_box()
    top = WINDOW_TOP + 8
    doc.draw_block(left, top, doc.fit_block(buyer, width, WINDOW_TOP + WINDOW_HEIGHT - _INSET - top))

    # Rows.
    doc.set_y(max(WINDOW_TOP + WINDOW_HEIGHT + 8, facts_bottom + 6))
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
    _row(doc, [total_label, due], bold=True, size=10, columns=_DUE_COLUMNS)

    _payment_block(doc, invoice, tenant, kind)


def _payment_block(doc: _Document, invoice: Invoice, tenant: Tenant, kind: DeliveryKind) -> None:
    language = invoice.customer.language
    if doc.will_page_break(48):
        doc.add_page()
    doc.ln(6)
    top = doc.get_y()
    doc.put(_LEFT, top, label("payment", language), 10, "B", width=_WIDTH)
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


# The parsed fonts are shared per process and fpdf2 mutates them while writing a document: one
# document at a time. A dispatch's workers render in turn (rendering is CPU, which the GIL and the
# 0.29 vCPU serialise anyway) while the others wait on their requests (dispatchWorkers, README).
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
    street, postcode and town follow inside the window. A payable invoice in euros to a Finnish
    account has the bank giro form with its barcode in the sheet's bottom third.
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
    name = [Piece(tenant.name, 11, "B")]
    doc.draw_block(_LEFT, 15, doc.fit_block(name, _WIDTH, WINDOW_TOP - 2 - 15))
    sender = tenant.address
    return_line = ", ".join([tenant.name, *sender.street, f"{sender.postcode} {sender.town}"])
    left, inner = _window_box()
    doc.put(left, WINDOW_TOP + 3, return_line, 6.5, width=inner)
    doc.line(left, WINDOW_TOP + 6.5, left + inner, WINDOW_TOP + 6.5)
    recipient = [Piece(line, 10) for line in postal_lines(customer.name, customer.address, sender.country)]
    top = WINDOW_TOP + 10
    doc.draw_block(left, top, doc.fit_block(recipient, inner, WINDOW_TOP + WINDOW_HEIGHT - _INSET / 2 - top))
    noun = document_noun(invoice, kind, language)
    enclosed = label("letter_enclosed", language).format(document=noun, number=invoice.number)
    summary = [
        enclosed,
        f"{label('due_date', language)}: {format_date(invoice.due_date, language)}",
        f"{label('total', language)}: {format_amount(invoice.totals.gross, language)} {invoice.currency}",
    ]
    doc.lines_at(_LEFT, WINDOW_TOP + WINDOW_HEIGHT + 15, _WIDTH, summary, 10)
    barcode = giro.payable_barcode(invoice, tenant, kind)
    if barcode is not None:
        payer = postal_lines(customer.name, customer.address, sender.country)
        giro.draw_giro_form(doc, invoice, tenant, payer, barcode)
        doc.pages_without_footer.add(doc.page_no())
    draw_invoice(doc, invoice, tenant, kind)
    return doc.finish()
