"""R14, R15, R25: the documents customers receive keep their layout at every input limit.

The invoice PDF (also the email's attachment) and the print letter are rendered at every maximum
of the README's limits table (`benchmarks/maximal.py`) in each customer language and read back
with PyMuPDF: every drawn text's box stays inside the page, no two boxes overlap, the address
stays inside the envelope window, and what was shrunk or wrapped is still there in full.
"""

import re
from dataclasses import dataclass
from functools import cache

import pymupdf
import pytest

from autodispatch.channels.labels import format_amount
from autodispatch.channels.pdf import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RIGHT_EDGE,
    WINDOW_HEIGHT,
    WINDOW_LEFT,
    WINDOW_TOP,
    WINDOW_WIDTH,
    render_invoice_pdf,
    render_print_letter,
)
from autodispatch.models.enums import Language
from benchmarks.maximal import ASTRAL, maximal_invoice, maximal_tenant

MM_PER_PT = 25.4 / 72
LANGUAGES = ["fi", "sv", "en"]
# Glyph boxes of neighbouring texts may touch; anything more is an overlap.
TOUCH = 0.05


@dataclass(frozen=True)
class Span:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Span") -> bool:
        return (
            min(self.x1, other.x1) - max(self.x0, other.x0) > TOUCH
            and min(self.y1, other.y1) - max(self.y0, other.y0) > TOUCH
        )

    def inside(self, left: float, top: float, right: float, bottom: float) -> bool:
        return (
            self.x0 >= left - TOUCH
            and self.y0 >= top - TOUCH
            and self.x1 <= right + TOUCH
            and self.y1 <= bottom + TOUCH
        )


def spans(pdf: bytes) -> list[list[Span]]:
    """Every page's drawn texts with their boxes in millimetres from the top left corner."""
    pages = []
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        for page in document:
            found = []
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    for span in line["spans"]:
                        if span["text"].strip():
                            x0, y0, x1, y1 = (value * MM_PER_PT for value in span["bbox"])
                            found.append(Span(span["text"], x0, y0, x1, y1))
            pages.append(found)
    return pages


def overlapping(page: list[Span]) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap (a sweep down the page)."""
    ordered = sorted(page, key=lambda span: span.y0)
    pairs = []
    for index, span in enumerate(ordered):
        for other in ordered[index + 1 :]:
            if other.y0 >= span.y1 - TOUCH:
                break
            if span.overlaps(other):
                pairs.append((span.text, other.text))
    return pairs


def squeezed(text: str) -> str:
    """Text without its spaces, as wrapped lines are read back."""
    return re.sub(r"\s+", "", text)


def joined(page: list[Span]) -> str:
    return squeezed("".join(span.text for span in page))


@cache
def rendered(document: str, language: str, wide: bool) -> bytes:
    invoice, tenant = maximal_invoice(language, wide), maximal_tenant(wide)
    return (
        render_invoice_pdf(invoice, tenant) if document == "invoice" else render_print_letter(invoice, tenant)
    )


DOCUMENTS = [
    pytest.param(document, language, wide, id=f"{document}-{language}-{'wide' if wide else 'words'}")
    for document in ("invoice", "letter")
    for language in LANGUAGES
    for wide in (False, True)
]


@pytest.mark.parametrize(("document", "language", "wide"), DOCUMENTS)
def test_r25_no_two_texts_overlap_at_every_maximum(document: str, language: str, wide: bool) -> None:
    for number, page in enumerate(spans(rendered(document, language, wide)), start=1):
        assert overlapping(page) == [], f"page {number}"


@pytest.mark.parametrize(("document", "language", "wide"), DOCUMENTS)
def test_r25_every_text_stays_on_the_page_at_every_maximum(document: str, language: str, wide: bool) -> None:
    for number, page in enumerate(spans(rendered(document, language, wide)), start=1):
        outside = [span.text for span in page if not span.inside(0.5, 5, PAGE_WIDTH - 0.5, PAGE_HEIGHT - 3)]
        assert outside == [], f"page {number}"


@pytest.mark.parametrize(("document", "language", "wide"), DOCUMENTS)
def test_r25_every_character_at_every_maximum_is_printed_not_replaced(
    document: str, language: str, wide: bool
) -> None:
    """The widest texts (full-width digits, four-byte mathematical letters) are drawn from the
    embedded fallback fonts, never as U+FFFD."""
    text = "".join(joined(page) for page in spans(rendered(document, language, wide)))

    assert "\ufffd" not in text
    if wide:
        assert ASTRAL * 100 in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_r25_invoice_header_keeps_long_seller_name_number_and_buyer_apart(language: str) -> None:
    invoice, tenant = maximal_invoice(language), maximal_tenant()
    first = spans(rendered("invoice", language, False))[0]

    # The seller's 70 characters wrap in the left column, clear of the title and facts at 115 mm.
    seller = [span for span in first if span.y1 <= WINDOW_TOP and span.x0 < 100]
    assert all(span.x1 <= 110 for span in seller)
    assert squeezed(tenant.name) in joined(seller)
    # The 20 full-width characters of the number wrap inside the page's right margin.
    facts = [span for span in first if span.x0 >= 115 and span.y1 <= WINDOW_TOP + WINDOW_HEIGHT]
    assert all(span.x1 <= RIGHT_EDGE + TOUCH for span in facts)
    assert squeezed(invoice.number) in joined(facts)
    # The 210-character buyer and the address fit the window position, above the rows.
    window = [span for span in first if span.y0 >= WINDOW_TOP and span.x1 <= WINDOW_LEFT + WINDOW_WIDTH]
    buyer = [span for span in window if span.y1 <= WINDOW_TOP + WINDOW_HEIGHT]
    assert squeezed(invoice.customer.name) in joined(buyer)
    rows_top = min(
        span.y0 for span in first if span.text.startswith(("Kuvaus", "Beskrivning", "Description"))
    )
    assert max(span.y1 for span in buyer) < rows_top


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("wide", [False, True])
def test_r15_the_whole_address_is_inside_the_envelope_window_at_every_maximum(
    language: str, wide: bool
) -> None:
    invoice = maximal_invoice(language, wide)
    sheet = spans(rendered("letter", language, wide))[0]
    window = (WINDOW_LEFT, WINDOW_TOP, WINDOW_LEFT + WINDOW_WIDTH, WINDOW_TOP + WINDOW_HEIGHT)
    in_window = [span for span in sheet if span.overlaps(Span("", *window))]

    assert all(span.inside(*window) for span in in_window)
    address = invoice.customer.address
    assert address is not None
    parts = (invoice.customer.name, *address.street, address.postcode, address.town, "SWEDEN")
    text = joined(in_window)
    assert "\ufffd" not in text
    for part in parts:
        assert squeezed(part) in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_r25_amounts_near_ten_to_the_fifteen_are_printed_in_full(language: str) -> None:
    invoice = maximal_invoice(language)
    lang = Language(language)
    text = "".join(joined(page) for page in spans(rendered("invoice", language, False)))

    assert squeezed(format_amount(invoice.lines[0].net, lang)) in text
    assert squeezed(format_amount(invoice.lines[1].net, lang)) in text
    assert squeezed(f"{format_amount(invoice.totals.gross, lang)} EUR") in text
