"""R14, R15: the invoice PDF and the print letter, read back with pypdf."""

import threading
from collections import Counter
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from fontTools import ttLib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pypdf import PdfReader

from autodispatch.channels.pdf import (
    WINDOW_HEIGHT,
    WINDOW_LEFT,
    WINDOW_TOP,
    WINDOW_WIDTH,
    _Document,
    render_invoice_pdf,
    render_print_letter,
)
from autodispatch.channels.pdffonts import embedded_fonts, printable_module
from autodispatch.models import printable
from autodispatch.models.enums import DeliveryKind, Language
from tests.strategies import PRINTABLE_CHARACTERS

A4_HEIGHT_PT = 841.89
MM_PER_PT = 25.4 / 72


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def positioned_text(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, x mm from the left edge, y mm from the top edge) of each text run on a page."""
    found: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x * MM_PER_PT, (A4_HEIGHT_PT - y) * MM_PER_PT))

    PdfReader(BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return found


def test_r4_invoice_pdf_carries_what_a_finnish_invoice_needs(build: Any) -> None:
    text = pages_text(render_invoice_pdf(build.invoice(), build.tenant()))[0]

    for expected in (
        "Kahvila Aurinko Oy",  # seller
        "Y-tunnus 2345678-0",
        "Aleksanterinkatu 5",
        "Rakennus Oy",  # buyer
        "Teollisuustie 3",
        "LASKU",
        "Laskun numero 1001",
        "9.3.2026",  # invoice date
        "23.3.2026",  # due date
        "Kahvitarjoilu",
        "25,5",  # VAT rate
        "11,48",  # VAT
        "56,48 EUR",  # total
        "FI49 5000 9420 0287 30",
        "OKOYFIHH",
        "Viitenumero 1232",
        "449500094200287300000564800000000000000000001232260323",  # barcode, version 4
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("language", "title", "due"),
    [("sv", "FAKTURA", "Förfallodag"), ("en", "INVOICE", "Due date"), ("fi", "LASKU", "Eräpäivä")],
)
def test_r4_pdf_speaks_the_customers_language(build: Any, language: str, title: str, due: str) -> None:
    invoice = build.invoice(customer=build.business_customer(language=language))

    text = pages_text(render_invoice_pdf(invoice, build.tenant()))[0]

    assert title in text
    assert due in text


def test_r4_any_unicode_name_renders_in_the_embedded_font(build: Any) -> None:
    name = "Žluťoučký Čáp Ñandú ☕ Ωμέγα Кофе"
    invoice = build.invoice(customer=build.business_customer(name=name))

    pdf = render_invoice_pdf(invoice, build.tenant())

    assert name in pages_text(pdf)[0]
    fonts = PdfReader(BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    base_fonts = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any("DejaVuSans" in base for base in base_fonts)
    descendant = next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]  # embedded, not referenced


def embedded_fonts_of(pdf: bytes) -> dict[str, Any]:
    """Base font name -> font dictionary, over every page of the document."""
    found: dict[str, Any] = {}
    for page in PdfReader(BytesIO(pdf)).pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            found[str(font["/BaseFont"])] = font
    return found


def font_program(font: Any) -> ttLib.TTFont:
    descendant = font["/DescendantFonts"][0].get_object()
    return ttLib.TTFont(BytesIO(descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()))


# The demo invoice (`build.invoice()`) as rendered with DejaVu Sans alone, before the fallback font.
LATIN_INVOICE_BYTES = 13_691


def test_r4_cjk_names_render_in_the_fallback_font(build: Any) -> None:
    name, description = "北京贸易有限公司", "コーヒー ☕"
    invoice = build.invoice(
        customer=build.business_customer(name=name), lines=[build.line_dict(description=description)]
    )

    pdf = render_invoice_pdf(invoice, build.tenant())

    text = pages_text(pdf)[0]
    assert name in text
    assert description in text
    assert "\ufffd" not in text
    fonts = embedded_fonts_of(pdf)
    fallback = next(font for base, font in fonts.items() if "DroidSansFallback" in base)
    program = font_program(fallback)  # embedded, not referenced
    assert {ord(char) for char in name + "コーヒー"} <= set(program.getBestCmap())
    # Only the glyphs used (and the parts of composite ones), not the font's 49,000.
    assert program["maxp"].numGlyphs < 40
    assert len(pdf) < LATIN_INVOICE_BYTES + 8_000


def test_r4_documents_without_cjk_do_not_embed_the_fallback_font(build: Any) -> None:
    name = "Žluťoučký Čáp Ñandú ☕ Ωμέγα Кофе"
    pdf = render_invoice_pdf(build.invoice(customer=build.business_customer(name=name)), build.tenant())
    plain = render_invoice_pdf(build.invoice(), build.tenant())

    for document in (pdf, plain):
        assert not any("DroidSansFallback" in base for base in embedded_fonts_of(document))
        assert b"DroidSansFallback" not in document
    assert len(plain) <= LATIN_INVOICE_BYTES + 64


def test_r4_cjk_pdf_is_the_same_from_a_cold_or_warm_cache_and_across_threads(build: Any) -> None:
    invoice = build.invoice(customer=build.business_customer(name="山田太郎"))
    tenant = build.tenant(name="東京コーヒー Oy")  # bold: falls back to the regular CJK face
    for face in embedded_fonts().fallbacks:
        face.program.glyphs.clear()
    cold = render_invoice_pdf(invoice, tenant)
    results: list[bytes] = []

    def render() -> None:
        results.append(render_invoice_pdf(invoice, tenant))

    threads = [threading.Thread(target=render) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [cold] * 4
    text = pages_text(cold)[0]
    assert "東京コーヒー Oy" in text
    assert "山田太郎" in text


def test_r4_glyphs_no_font_has_do_not_crash_the_pdf(build: Any) -> None:
    # Egyptian hieroglyphs: in no embedded font, so refused at import; a stored invoice that
    # reached a run some other way still renders.
    invoice = build.invoice()
    customer = invoice.customer.model_copy(update={"name": "北京\U00013000\U00013001 Oy"})
    stored = invoice.model_copy(update={"customer": customer})

    text = pages_text(render_invoice_pdf(stored, build.tenant()))[0]

    assert "北京\ufffd\ufffd Oy" in text  # visibly replaced, never silently dropped


def test_r4_a_control_character_the_import_accepts_prints_in_every_document(build: Any) -> None:
    """U+202E (right-to-left override) has a glyph in DejaVu Sans, so the import accepts it; both
    documents print it rather than refusing the invoice."""
    invoice = build.invoice(number="\u202e1001")

    for pdf in (render_invoice_pdf(invoice, build.tenant()), render_print_letter(invoice, build.tenant())):
        assert _notdefs(pdf) == 0
        assert "1001" in _drawn_text(pdf)


def test_r4_renderable_and_missing_agree_on_what_no_font_has() -> None:
    fonts = embedded_fonts()
    text = "Oy 北京 코리아 😀 𝐖 コーヒー ☕ Ωμέγα \U00013000\t\n"

    assert fonts.missing([text]) == {"\U00013000", "\t"}
    assert fonts.renderable(text) == "Oy 北京 코리아 😀 𝐖 コーヒー ☕ Ωμέγα \ufffd\ufffd\n"


# Hangul, emoji (with a skin tone and a zero-width joiner sequence), mathematical letters, a
# musical symbol and CJK beside Latin: each is drawn from the first embedded font that has it.
WORLD_TEXT = "김민준 주식회사 😀👍🏽👨\u200d👩\u200d👧 ❤\ufe0f 𝐖𝐨𝐫𝐥𝐝 𝄞 北京 Ωμέγα Oy"


def _drawn_text(pdf: bytes) -> str:
    """Every page's text as PyMuPDF extracts it, wrapped lines joined by single spaces."""
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        return " ".join(" ".join(str(page.get_text()) for page in document).split())


def _notdefs(pdf: bytes) -> int:
    """Glyphs drawn as `.notdef` (glyph id 0) on every page."""
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        return sum(
            1
            for page in document
            for block in page.get_texttrace()
            for char in block["chars"]
            if char[1] == 0
        )


def test_r4_hangul_emoji_and_astral_letters_print_as_given(build: Any) -> None:
    invoice = build.invoice(
        customer=build.business_customer(name=WORLD_TEXT),
        lines=[build.line_dict(description=f"Kahvi {WORLD_TEXT}")],
    )
    tenant = build.tenant(name="한국 커피 😀 Oy")  # bold: falls back to the regular faces

    for pdf in (render_invoice_pdf(invoice, tenant), render_print_letter(invoice, tenant)):
        text = _drawn_text(pdf)
        assert WORLD_TEXT in text
        assert f"Kahvi {WORLD_TEXT}" in text
        assert "한국 커피 😀 Oy" in text
        assert "\ufffd" not in text
        assert _notdefs(pdf) == 0
        bases = " ".join(embedded_fonts_of(pdf))
        assert all(family in bases for family in ("DroidSansFallback", "NanumGothic", "Symbola"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(st.one_of(PRINTABLE_CHARACTERS, st.characters()), min_size=1, max_size=40).filter(str.strip)
)
def test_r4_every_name_the_import_accepts_reads_back_from_the_pdf_as_given(build: Any, name: str) -> None:
    try:
        customer = build.business_customer(name=name)
        invoice = build.invoice(customer=customer)
    except ValidationError:
        return  # refused at import (control or unprintable characters): never rendered
    assert not embedded_fonts().missing([name])

    pdf = render_invoice_pdf(invoice, build.tenant())

    assert _notdefs(pdf) == 0
    # Every character reads back (as a count: extractors reorder right-to-left runs and space
    # out marks; `test_r4_hangul_emoji_and_astral_letters_print_as_given` checks the order).
    wanted = Counter(char for char in name if not char.isspace())
    assert wanted <= Counter(_drawn_text(pdf))


def test_r4_credit_note_is_titled_as_a_credit_note_without_barcode(build: Any) -> None:
    invoice = build.invoice(lines=[build.line_dict(quantity="-1", unit_price="45.00")])

    text = pages_text(render_invoice_pdf(invoice, build.tenant()))[0]

    assert "HYVITYSLASKU" in text
    assert "-56,48" in text
    assert "Virtuaaliviivakoodi" not in text


def test_r18_direct_payment_notice_pdf_says_it_is_debited(build: Any) -> None:
    invoice = build.invoice(payment_method="DIRECT_PAYMENT", customer=build.consumer_customer())

    text = pages_text(render_invoice_pdf(invoice, build.tenant(), DeliveryKind.DIRECT_PAYMENT_NOTICE))[0]

    assert "SUORAMAKSUILMOITUS" in text
    assert "suoramaksuna" in text
    assert "Virtuaaliviivakoodi" not in text


def test_r4_same_invoice_gives_the_same_bytes(build: Any) -> None:
    assert render_invoice_pdf(build.invoice(), build.tenant()) == render_invoice_pdf(
        build.invoice(), build.tenant()
    )


def test_r4_many_long_rows_wrap_and_continue_on_further_pages(build: Any) -> None:
    description = "Kokouspaketti: kahvi, tee, pullat, hedelmät ja kivennäisvesi koko päiväksi " * 3
    lines = [build.line_dict(description=f"{index}. {description}") for index in range(40)]

    pages = pages_text(render_invoice_pdf(build.invoice(lines=lines), build.tenant()))

    assert len(pages) >= 3
    assert "Sivu 3" in pages[2]
    assert "FI49 5000 9420 0287 30" in pages[-1]


def test_r15_print_letter_shows_postcode_and_town_in_the_envelope_window(build: Any) -> None:
    customer = build.consumer_customer(name="Aino Lahtinen")
    letter = render_print_letter(build.invoice(customer=customer), build.tenant())

    runs = positioned_text(letter)

    def window(x: float, y: float) -> bool:
        return (
            WINDOW_LEFT <= x <= WINDOW_LEFT + WINDOW_WIDTH and WINDOW_TOP <= y <= WINDOW_TOP + WINDOW_HEIGHT
        )

    in_window = [text for text, x, y in runs if window(x, y)]
    assert "20100 Turku" in in_window
    assert "Kotikatu 7 B 12" in in_window
    assert "Aino Lahtinen" in in_window
    # The return address is the window's first line, above the recipient.
    sender = next((x, y) for text, x, y in runs if text.startswith("Kahvila Aurinko Oy, Aleksanterinkatu 5"))
    recipient = next((x, y) for text, x, y in runs if text == "Aino Lahtinen")
    assert window(*sender)
    assert sender[1] < recipient[1]


def test_r15_print_letter_is_followed_by_the_invoice_pages(build: Any) -> None:
    pages = pages_text(render_print_letter(build.invoice(), build.tenant()))

    assert len(pages) == 2
    assert "Oheisena lasku 1001." in pages[0]
    assert "Laskun numero 1001" in pages[1]


def test_r25_the_import_accepts_exactly_what_the_embedded_fonts_draw() -> None:
    """models/printable.py is generated from the fonts (`python -m autodispatch.channels.pdffonts`)."""
    module = Path(printable.__file__).read_text(encoding="utf-8")

    assert module == printable_module()


def _document() -> _Document:
    return _Document(datetime(2026, 3, 9, tzinfo=UTC), Language.FI, "LASKU", "Kahvila Aurinko Oy")


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.sampled_from("ab W i ä  1\n𝐖１-—"), max_size=300),
    width=st.sampled_from([4.0, 12.0, 40.0, 78.0]),
    size=st.sampled_from([6.0, 8.0, 14.0]),
    style=st.sampled_from(["", "B"]),
)
def test_r14_wrapped_lines_fit_their_width_and_keep_every_character(
    text: str, width: float, size: float, style: str
) -> None:
    document = _document()

    lines = document.wrap(text, width, size, style)

    assert all(len(line) == 1 or document.measure(line, size, style) <= width + 1e-9 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert not any(line.startswith(" ") for line in lines)


def test_r14_lines_break_at_spaces_and_inside_a_word_only_when_it_is_wider() -> None:
    document = _document()
    word = document.measure("kahvi", 8)

    assert document.wrap("kahvi tee kahvi", word + 0.1, 8) == ["kahvi", "tee", "kahvi"]
    assert document.wrap("kahvi tee kahvi", 2 * word, 8) == ["kahvi tee", "kahvi"]
    assert document.wrap("kahvikahvi", word + 0.1, 8) == ["kahvi", "kahvi"]


def test_r4_every_character_a_font_draws_has_its_own_two_byte_code() -> None:
    fonts = embedded_fonts()
    for face in [*fonts.faces.values(), *fonts.fallbacks]:
        codes = [face.code(chr(point)) for point in face.coverage]

        assert len(set(codes)) == len(codes), face.fontkey
        assert all(0 < code <= 0xFFFF for code in codes), face.fontkey


def test_r4_a_text_beyond_the_bmp_encodes_alike_in_one_plane_and_mixed() -> None:
    """Letters of one plane are encoded by bytes, a text mixing planes character by character:
    both give each character its code."""
    symbola = next(face for face in embedded_fonts().fallbacks if face.family == "Symbola")
    points = sorted(symbola.coverage)
    one_plane = "".join(chr(point) for point in points if 0x10000 <= point < 0x20000)
    mixed = one_plane[:50] + "".join(chr(point) for point in points if point < 0x10000)[:50] + chr(points[-1])

    for text in (one_plane, mixed):
        assert symbola.encode_beyond(text) == b"".join(symbola.code(char).to_bytes(2) for char in text)
