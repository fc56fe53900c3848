"""R15: the print letter carries the Finnish bank giro form (tilisiirtolomake) in the bottom third of
its first page, with the bank barcode read back by an independent decoder (zxing-cpp) from the
rendered page."""

from typing import Any

import pymupdf
import pytest
import zxingcpp
from PIL import Image

from autodispatch.channels.barcode import virtual_barcode
from autodispatch.channels.giro import BARCODE_TOP, FORM_TOP, code128_modules
from autodispatch.channels.pdf import render_invoice_pdf, render_print_letter
from autodispatch.models.enums import DeliveryKind
from autodispatch.models.scenario import Invoice, Tenant
from benchmarks.maximal import maximal_invoice, maximal_tenant

MM_PER_PT = 25.4 / 72
# Code 128 start character C (value 105) and the stop pattern, as bars and spaces of one module.
START_C = "11010011100"
STOP = "1100011101011"


def page_texts(pdf: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, top, bottom) in millimetres of each drawn text on a page."""
    found = []
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        for block in document[page].get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    if span["text"].strip():
                        found.append((span["text"], span["bbox"][1] * MM_PER_PT, span["bbox"][3] * MM_PER_PT))
    return found


def decoded_barcodes(pdf: bytes, page: int = 0) -> list[Any]:
    """The barcodes an independent decoder finds on the rasterised page (300 dpi)."""
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        pixmap = document[page].get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
        image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
    return list(zxingcpp.read_barcodes(image))


def expected_barcode(invoice: Invoice, tenant: Tenant) -> str:
    barcode = virtual_barcode(
        tenant.iban, invoice.totals.gross, invoice.reference, invoice.due_date, invoice.currency
    )
    assert barcode is not None
    return barcode


def test_r15_the_bank_barcode_is_code_128_set_c_from_start_105_to_stop() -> None:
    modules = code128_modules("449500094200287300000564800000000000000000001232260323")

    assert modules.startswith(START_C)
    assert modules.endswith(STOP)
    # Start, 27 digit pairs and the check character of 11 modules each, and the 13-module stop.
    assert len(modules) == 11 * 29 + 13


@pytest.mark.parametrize(
    "case",
    ["finnish reference", "rf reference", "at every maximum"],
)
def test_r15_the_giro_barcode_decodes_back_to_the_virtual_barcode(build: Any, case: str) -> None:
    if case == "at every maximum":
        invoice, tenant = maximal_invoice(), maximal_tenant()
    else:
        reference = "1232" if case == "finnish reference" else build.VALID_RF_REFERENCE
        invoice, tenant = build.invoice(reference=reference), build.tenant()

    found = decoded_barcodes(render_print_letter(invoice, tenant))

    assert [(barcode.format, barcode.text) for barcode in found] == [
        (zxingcpp.BarcodeFormat.Code128, expected_barcode(invoice, tenant))
    ]


def test_r15_the_giro_form_fills_the_bottom_third_of_the_first_page(build: Any) -> None:
    invoice = build.invoice(customer=build.consumer_customer(name="Aino Lahtinen"))
    texts = page_texts(render_print_letter(invoice, build.tenant()))

    form = " ".join(text for text, top, _ in texts if top >= FORM_TOP)
    for expected in (
        "Saajan",  # the form's own bilingual field names
        "Mottagare",
        "Viitenro",
        "Förfallodag",
        "FI49 5000 9420 0287 30",  # recipient's IBAN and BIC
        "OKOYFIHH",
        "Kahvila Aurinko Oy",  # recipient
        "Aino Lahtinen",  # payer with address
        "Kotikatu 7 B 12",
        "20100 Turku",
        "1001",  # the invoice number as the message
        "1232",  # reference, due date, amount
        "23.3.2026",
        "56,48",
    ):
        assert expected in form, expected
    # Nothing else of the page reaches into the form, and the form's texts stay above its barcode.
    assert all(bottom <= FORM_TOP for _, top, bottom in texts if top < FORM_TOP)
    assert all(bottom <= BARCODE_TOP for _, top, bottom in texts if top >= FORM_TOP)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_r15_the_giro_form_is_the_standard_bilingual_form_in_every_language(
    build: Any, language: str
) -> None:
    invoice = build.invoice(customer=build.consumer_customer(language=language))

    form = " ".join(
        text for text, top, _ in page_texts(render_print_letter(invoice, build.tenant())) if top >= FORM_TOP
    )

    assert "Saajan" in form
    assert "Mottagarens" in form


def test_r15_no_giro_form_where_nothing_is_paid_by_it(build: Any) -> None:
    credit_note = build.invoice(lines=[build.line_dict(quantity="-1", unit_price="45.00")])
    direct = build.invoice(payment_method="DIRECT_PAYMENT", customer=build.consumer_customer())
    in_kronor = build.invoice(currency="SEK")

    letters = [
        render_print_letter(credit_note, build.tenant()),
        render_print_letter(direct, build.tenant(), DeliveryKind.DIRECT_PAYMENT_NOTICE),
        render_print_letter(in_kronor, build.tenant()),
        render_invoice_pdf(build.invoice(), build.tenant()),  # the email's PDF: no form
    ]

    for pdf in letters:
        assert decoded_barcodes(pdf) == []
        assert not any("Saajan" in text for text, _, _ in page_texts(pdf))
