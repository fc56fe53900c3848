"""What the documents say, in the customer's language (fi, sv, en), and how numbers and dates read."""

from datetime import date
from decimal import Decimal

from stdnum import iso11649

from autodispatch.models.enums import DeliveryKind, Language
from autodispatch.models.scenario import Invoice

_LABELS: dict[str, dict[Language, str]] = {
    "invoice": {Language.FI: "LASKU", Language.SV: "FAKTURA", Language.EN: "INVOICE"},
    "credit_note": {Language.FI: "HYVITYSLASKU", Language.SV: "KREDITFAKTURA", Language.EN: "CREDIT NOTE"},
    "direct_payment_notice": {
        Language.FI: "SUORAMAKSUILMOITUS",
        Language.SV: "DIREKTBETALNINGSAVISERING",
        Language.EN: "DIRECT PAYMENT NOTICE",
    },
    "number": {Language.FI: "Laskun numero", Language.SV: "Fakturanummer", Language.EN: "Invoice number"},
    "invoice_date": {
        Language.FI: "Laskun päivämäärä",
        Language.SV: "Fakturadatum",
        Language.EN: "Invoice date",
    },
    "due_date": {Language.FI: "Eräpäivä", Language.SV: "Förfallodag", Language.EN: "Due date"},
    "reference": {
        Language.FI: "Viitenumero",
        Language.SV: "Referensnummer",
        Language.EN: "Payment reference",
    },
    "iban": {
        Language.FI: "Tilinumero (IBAN)",
        Language.SV: "Kontonummer (IBAN)",
        Language.EN: "Account (IBAN)",
    },
    "bic": {Language.FI: "BIC", Language.SV: "BIC", Language.EN: "BIC"},
    "business_id": {Language.FI: "Y-tunnus", Language.SV: "FO-nummer", Language.EN: "Business ID"},
    "buyer": {Language.FI: "Ostaja", Language.SV: "Köpare", Language.EN: "Buyer"},
    "seller": {Language.FI: "Myyjä", Language.SV: "Säljare", Language.EN: "Seller"},
    "description": {Language.FI: "Kuvaus", Language.SV: "Beskrivning", Language.EN: "Description"},
    "quantity": {Language.FI: "Määrä", Language.SV: "Antal", Language.EN: "Qty"},
    "unit_price": {Language.FI: "À-hinta", Language.SV: "À-pris", Language.EN: "Unit price"},
    "vat_rate": {Language.FI: "ALV %", Language.SV: "Moms %", Language.EN: "VAT %"},
    "net": {Language.FI: "Veroton", Language.SV: "Exkl. moms", Language.EN: "Net"},
    "vat": {Language.FI: "ALV", Language.SV: "Moms", Language.EN: "VAT"},
    "gross": {Language.FI: "Verollinen", Language.SV: "Inkl. moms", Language.EN: "Gross"},
    "vat_breakdown": {
        Language.FI: "Arvonlisäverot",
        Language.SV: "Moms per skattesats",
        Language.EN: "VAT by rate",
    },
    "total": {Language.FI: "Yhteensä", Language.SV: "Totalt", Language.EN: "Total"},
    "amount_due": {Language.FI: "Maksettava", Language.SV: "Att betala", Language.EN: "Amount due"},
    "credit_total": {
        Language.FI: "Hyvitys yhteensä",
        Language.SV: "Kredit totalt",
        Language.EN: "Total credit",
    },
    "barcode": {
        Language.FI: "Virtuaaliviivakoodi",
        Language.SV: "Virtuell streckkod",
        Language.EN: "Virtual barcode",
    },
    "payment": {
        Language.FI: "Maksutiedot",
        Language.SV: "Betalningsuppgifter",
        Language.EN: "Payment details",
    },
    "credit_note_text": {
        Language.FI: "Hyvityslasku: ei maksettavaa.",
        Language.SV: "Kreditfaktura: inget att betala.",
        Language.EN: "Credit note: nothing to pay.",
    },
    "direct_payment_text": {
        Language.FI: "Summa veloitetaan tililtänne suoramaksuna eräpäivänä. Älkää maksako sitä itse.",
        Language.SV: "Beloppet debiteras ert konto som direktbetalning på förfallodagen. Betala inte själv.",
        Language.EN: "The amount will be debited from your account by direct payment on the due date. "
        "Please do not pay it separately.",
    },
    "direct_payment_method": {
        Language.FI: "Suoramaksu",
        Language.SV: "Direktbetalning",
        Language.EN: "Direct payment",
    },
    "greeting": {Language.FI: "Hei,", Language.SV: "Hej,", Language.EN: "Hello,"},
    "email_intro": {
        Language.FI: "liitteenä on {document} {number} yritykseltä {seller}.",
        Language.SV: "bifogat finns {document} {number} från {seller}.",
        Language.EN: "please find attached {document} {number} from {seller}.",
    },
    "email_subject": {
        Language.FI: "{document} {number} – {seller}",
        Language.SV: "{document} {number} – {seller}",
        Language.EN: "{document} {number} – {seller}",
    },
    "email_closing": {
        Language.FI: "Ystävällisin terveisin",
        Language.SV: "Med vänliga hälsningar",
        Language.EN: "Kind regards",
    },
    "letter_enclosed": {
        Language.FI: "Oheisena {document} {number}.",
        Language.SV: "Bifogat {document} {number}.",
        Language.EN: "Enclosed: {document} {number}.",
    },
    "page": {Language.FI: "Sivu", Language.SV: "Sida", Language.EN: "Page"},
    # The bank giro form's field names: Finnish and Swedish on every form, as the standard has them.
    **{
        key: dict.fromkeys(Language, text)
        for key, text in {
            "giro_account": "Saajan tilinumero Mottagarens kontonummer",
            "giro_recipient": "Saaja Mottagare",
            "giro_payer": "Maksajan nimi ja osoite Betalarens namn och adress",
            "giro_signature": "Allekirjoitus Underskrift",
            "giro_from_account": "Tililtä nro Från konto nr",
            "giro_reference": "Viitenro Ref.nr",
            "giro_due_date": "Eräpäivä Förfallodag",
            "giro_euro": "Euro",
        }.items()
    },
}

# A document's name inside a sentence ("liitteenä on lasku 1001").
_IN_SENTENCE: dict[str, dict[Language, str]] = {
    "invoice": {Language.FI: "lasku", Language.SV: "faktura", Language.EN: "invoice"},
    "credit_note": {Language.FI: "hyvityslasku", Language.SV: "kreditfaktura", Language.EN: "credit note"},
    "direct_payment_notice": {
        Language.FI: "suoramaksuilmoitus",
        Language.SV: "direktbetalningsavisering",
        Language.EN: "direct payment notice",
    },
}


def label(key: str, language: Language) -> str:
    return _LABELS[key][language]


def document_key(invoice: Invoice, kind: DeliveryKind) -> str:
    """Which document this is: credit notes are titled as such (R2), notices as notices (R18)."""
    if kind is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        return "direct_payment_notice"
    return "credit_note" if invoice.is_credit_note else "invoice"


def document_title(invoice: Invoice, kind: DeliveryKind, language: Language) -> str:
    return label(document_key(invoice, kind), language)


def document_noun(invoice: Invoice, kind: DeliveryKind, language: Language) -> str:
    return _IN_SENTENCE[document_key(invoice, kind)][language]


def format_date(value: date, language: Language) -> str:
    if language is Language.EN:
        return value.isoformat()
    return f"{value.day}.{value.month}.{value.year}"


def format_amount(value: Decimal, language: Language, decimals: int = 2) -> str:
    """Grouped by no-break spaces with a decimal comma in fi/sv, by commas with a point in English."""
    text = f"{value:,.{decimals}f}"
    if language is Language.EN:
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def format_quantity(value: Decimal, language: Language) -> str:
    text = format(value.normalize(), "f")
    return text if language is Language.EN else text.replace(".", ",")


def format_rate(value: Decimal, language: Language) -> str:
    return format_quantity(value, language)


def display_reference(reference: str) -> str:
    """RF references in groups of four, Finnish ones in groups of five from the right."""
    if reference.startswith("RF"):
        return str(iso11649.format(reference))
    head = len(reference) % 5
    groups = [reference[:head]] if head else []
    groups += [reference[index : index + 5] for index in range(head, len(reference), 5)]
    return " ".join(groups)
