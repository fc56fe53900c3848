"""The validation gate of the FINVOICE route: every message is checked against the Finvoice 3.0 XSD
and the arithmetic the network checks before it leaves (R12, R13).

Rule ids name what broke: `FINVOICE-XSD` (the schema), `FINVOICE-ROW` (a row's amount is not its
quantity times its unit price), `FINVOICE-VAT` (a rate's VAT is not its base times the rate, or the
rates' sums are not the totals), `FINVOICE-TOTAL` (net plus VAT is not the gross total),
`FINVOICE-REFERENCE` (the payment reference's check digit). The schema loads once per process.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from stdnum import iso11649

from autodispatch.errors import BrokenRule, RulesBroken
from autodispatch.models.fields import is_valid_finnish_reference

if TYPE_CHECKING:
    from xmlschema import XMLSchema

XSD = Path(__file__).resolve().parent / "finvoice_rules" / "Finvoice3.0.xsd"
CENT = Decimal("0.01")
# A row's amount may differ from quantity x price by the rounding of each to its decimals.
ROW_TOLERANCE = Decimal("0.01")


@cache
def _schema() -> "XMLSchema":
    from xmlschema import XMLSchema  # noqa: PLC0415 - the schema only where messages are checked

    return XMLSchema(str(XSD))


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal((text or "").replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return Decimal("NaN")


def _arithmetic(root: Element) -> list[BrokenRule]:
    broken: list[BrokenRule] = []
    for number, row in enumerate(root.iter("InvoiceRow"), start=1):
        quantity = _decimal(row.findtext("InvoicedQuantity"))
        price = _decimal(row.findtext("UnitPriceAmount"))
        amount = _decimal(row.findtext("RowVatExcludedAmount"))
        product = quantity * price - amount
        if product.is_nan() or abs(product) > ROW_TOLERANCE:
            broken.append(BrokenRule("FINVOICE-ROW", f"row {number}: {amount} is not {quantity} x {price}"))
    details = root.find("InvoiceDetails")
    if details is None:
        return broken
    net = _decimal(details.findtext("InvoiceTotalVatExcludedAmount"))
    vat = _decimal(details.findtext("InvoiceTotalVatAmount"))
    gross = _decimal(details.findtext("InvoiceTotalVatIncludedAmount"))
    bases, taxes = Decimal(0), Decimal(0)
    for specification in details.iter("VatSpecificationDetails"):
        base = _decimal(specification.findtext("VatBaseAmount"))
        rate = _decimal(specification.findtext("VatRatePercent"))
        tax = _decimal(specification.findtext("VatRateAmount"))
        bases, taxes = bases + base, taxes + tax
        if base.is_nan() or rate.is_nan() or (base * rate / 100).quantize(CENT, ROUND_HALF_UP) != tax:
            broken.append(BrokenRule("FINVOICE-VAT", f"the VAT at {rate} % is {tax}, not {base} x {rate} %"))
    rows = sum(
        (_decimal(row.findtext("RowVatExcludedAmount")) for row in root.iter("InvoiceRow")), Decimal(0)
    )
    if not (bases == net == rows and taxes == vat):
        broken.append(BrokenRule("FINVOICE-VAT", "the VAT breakdown does not add up to the totals"))
    if net + vat != gross:
        broken.append(BrokenRule("FINVOICE-TOTAL", f"{net} + {vat} is not the gross total {gross}"))
    reference = root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier") or ""
    if not (is_valid_finnish_reference(reference) or iso11649.is_valid(reference)):
        broken.append(BrokenRule("FINVOICE-REFERENCE", "the payment reference's check digit is wrong"))
    return broken


def broken_rules(document: bytes) -> list[BrokenRule]:
    schema_errors = [
        BrokenRule("FINVOICE-XSD", f"{error.path}: {error.reason}")
        for error in _schema().iter_errors(document.decode("utf-8"))
    ]
    return [*schema_errors[:1], *_arithmetic(SafeET.fromstring(document))]


def validate_finvoice(document: bytes) -> None:
    """The FINVOICE route's validator: raises RulesBroken naming each broken rule."""
    broken = broken_rules(document)
    if broken:
        raise RulesBroken(broken)
