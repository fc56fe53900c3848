"""CPU cost per invoice of rendering each route's document, and of the e-invoice validation gate.

`python -m benchmarks.render [N]` prints a table; `run(n)` returns, per document, milliseconds of
wall time (`perf_counter`) and of this process's CPU time (`process_time`, steadier on a busy
machine). One-time costs (parsing the font, building a glyph subset the first time it is
needed, compiling the Peppol rules, loading the Finvoice schema) are measured apart: a warm Lambda
pays them once per container.
"""

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from autodispatch.channels import finvoice_rules, peppol_rules
from autodispatch.channels.finvoice import FinvoiceRoute, render_finvoice
from autodispatch.channels.mail import render_invoice_email
from autodispatch.channels.pdf import render_invoice_pdf, render_print_letter
from autodispatch.channels.pdffonts import embedded_fonts
from autodispatch.channels.peppol import render_ubl
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Invoice, Tenant

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "demo-scenario.json"
# A business route for invoices whose own customer has none: the XML is what is measured.
_ROUTE = FinvoiceRoute("003701120389", "003721291126")
_NOW = datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
_PDF = b"%PDF-1.7\n" + b"0" * 40_000 + b"\n%%EOF"  # about the size of an invoice PDF


def _cases() -> list[tuple[Invoice, Tenant]]:
    scenario = parse_scenario(json.loads(SCENARIO.read_text(encoding="utf-8")))
    tenants = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    return [(invoice, tenants[invoice.tenant_id]) for invoice in scenario.invoices]


def _finvoice(invoice: Invoice, tenant: Tenant) -> bytes:
    return render_finvoice(invoice, tenant, message_id="INV-BENCHMARK", route=_ROUTE)


def _peppol(invoice: Invoice, tenant: Tenant) -> bytes:
    """The UBL document with a small stand-in PDF: the PDF's own cost is `invoice_pdf`."""
    return render_ubl(invoice, tenant, pdf=_PDF)


def _on_peppol(invoice: Invoice) -> Invoice:
    customer = invoice.customer.model_copy(update={"einvoice_address": "0216:003701120389"})
    return invoice.model_copy(update={"customer": customer})


def _once(action: Callable[[], object]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return {
        "wall_ms": round((time.perf_counter() - wall) * 1000, 2),
        "cpu_ms": round((time.process_time() - cpu) * 1000, 2),
    }


def _validated(
    documents: dict[tuple[str, str], bytes], check: Callable[[bytes], object]
) -> Callable[..., bytes]:
    """A `render` for `_timed` that validates the invoice's pre-rendered document."""

    def validate(invoice: Invoice, tenant: Tenant) -> bytes:
        document = documents[(invoice.tenant_id, invoice.invoice_id)]
        check(document)
        return document

    return validate


def _email(invoice: Invoice, tenant: Tenant) -> bytes:
    pdf = render_invoice_pdf(invoice, tenant)
    email = render_invoice_email(
        invoice, tenant, pdf, sender_email="laskut@example.com", message_id="INV-BENCHMARK", now=_NOW
    )
    return email.raw


def _timed(
    render: Callable[[Invoice, Tenant], bytes], cases: list[tuple[Invoice, Tenant]], n: int
) -> dict[str, float]:
    for invoice, tenant in cases:  # warm: per-process caches, as in a warm Lambda
        render(invoice, tenant)
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(n):
        invoice, tenant = cases[index % len(cases)]
        render(invoice, tenant)
    return {
        "wall_ms": round((time.perf_counter() - wall) / n * 1000, 2),
        "cpu_ms": round((time.process_time() - cpu) / n * 1000, 2),
    }


def run(n: int = 200) -> dict[str, dict[str, float]]:
    """Milliseconds per document, over the demo scenario's invoices."""
    wall, cpu = time.perf_counter(), time.process_time()
    embedded_fonts()
    font_setup = {
        "wall_ms": round((time.perf_counter() - wall) * 1000, 2),
        "cpu_ms": round((time.process_time() - cpu) * 1000, 2),
    }
    cases = _cases()
    with_email = [(invoice, tenant) for invoice, tenant in cases if invoice.customer.email]
    with_address = [(invoice, tenant) for invoice, tenant in cases if invoice.customer.address is not None]
    business = [
        (_on_peppol(invoice), tenant)
        for invoice, tenant in with_address
        if invoice.customer.type.value == "BUSINESS" and invoice.payment_method.value == "BANK_TRANSFER"
    ]
    peppol_documents = {(i.tenant_id, i.invoice_id): _peppol(i, t) for i, t in business}
    finvoice_documents = {(i.tenant_id, i.invoice_id): _finvoice(i, t) for i, t in with_address}
    rules_compile = _once(peppol_rules._compiled)
    schema_load = _once(finvoice_rules._schema)
    return {
        "peppol_ubl_xml": _timed(_peppol, business, n),
        "peppol_validation": _timed(_validated(peppol_documents, peppol_rules.validate_peppol), business, n),
        "peppol_rules_compile_once": rules_compile,
        "finvoice_validation": _timed(
            _validated(finvoice_documents, finvoice_rules.validate_finvoice), with_address, n
        ),
        "finvoice_schema_load_once": schema_load,
        "finvoice_xml": _timed(_finvoice, with_address, n),
        "invoice_pdf": _timed(render_invoice_pdf, cases, n),
        "email_mime_with_pdf": _timed(_email, with_email, n),
        "print_letter_pdf": _timed(render_print_letter, with_address, n),
        "font_setup_once": font_setup,
    }


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 200
    results = run(n)
    print(f"{'document (ms per invoice)':<28}{'wall':>10}{'cpu':>10}")
    for name, value in results.items():
        print(f"{name:<28}{value['wall_ms']:>10.2f}{value['cpu_ms']:>10.2f}")


if __name__ == "__main__":
    main(sys.argv)
