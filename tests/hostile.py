"""A generated corpus of hostile scenario input (issue classes of R25 and more), each variant with
the outcome class it must end in:

- `Rejected`: the import refuses the scenario in one line naming tenant, invoice and field;
- `Ended`: the run takes the invoice and it ends SENT (through a channel), FAILED or IGNORED with
  a reason;
- `Untouched`: the run never takes it.

The variants of one class are built from one valid template each, so a variant differs from a
valid invoice only in what it names. Used by tests/e2e/test_hostile_corpus.py.
"""

import copy
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autodispatch.models import limits

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-scenario.json"


class _Omit:
    """An override with this value removes the key; its repr keeps test ids stable across runs."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()

# RFC 2047 encoded words that decode to a line break and a Bcc header (CVE-2024-6923).
ENCODED_WORD_PAYLOADS = [
    "=?utf-8?b?RXZpbA0KQmNjOiBldmlsQGV2aWwuZXhhbXBsZQ==?=",
    "=?utf-8?q?Evil=0D=0ABcc:_evil@evil.example?=",
    "Oy =?UTF-8?B?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?= Ab",
    "=?iso-8859-1?q?=0ABcc:evil@evil.example?=x",
]
XML_HOSTILE = [
    "<![CDATA[x]]>",
    "]]>",
    "&amp;&lt;&#0;",
    "<script>alert(1)</script>",
    "\"'<>&",
    "<?xml version='1.0'?>",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
]
UNICODE_TEXTS = [
    "שלום עולם בע״מ",
    "شركة الاختبار",
    "☕🍕 Kahvila",
    "株式会社テスト",
    "Cafe\u0301 Ab",
    "a\u200db\u200cc",
    "Oy \u202eAb\u202c",
    "한국 커피 주식회사",
    "\U0001d11e\U0001f600 Oy",
    "Oy\u00a0\u2009Ab\u3000",
]
WIDE = "\U0001d11e"
# Values an error message echoes: each must reach a terminal or a client as one safe line.
ECHOED_HOSTILE = [
    "k\n1",
    "k\r\nerror: forged second line",
    "k\x1b[31mred\x1b[0m",
    "k\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "k\x9b31m",
    "[bold red]k[/]",
    "k" * 1_000_000,
]


@dataclass(frozen=True)
class Rejected:
    field: str


@dataclass(frozen=True)
class Ended:
    state: str  # SENT, FAILED or IGNORED
    channel: str | None = None  # the channel that sent it
    reason: str | None = None  # part of the message or details


@dataclass(frozen=True)
class Untouched:
    status: str


@dataclass(frozen=True)
class Variant:
    name: str
    invoice: dict[str, Any]
    expect: Rejected | Ended | Untouched


def _demo() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    return document


def tenant(tenant_id: str, channels: list[str], **overrides: Any) -> dict[str, Any]:
    base = copy.deepcopy(_demo()["tenants"][0])
    base.update(tenant_id=tenant_id, factoring=None, **overrides)
    base["settings"]["channels"] = channels
    return base


# The tenants of the run corpus: every channel, and each channel alone.
TENANTS = {
    "all": tenant("all", ["EINVOICE", "EMAIL", "PRINT"]),
    "print": tenant("print", ["PRINT"]),
    "email": tenant("email", ["EMAIL"]),
    "einvoice": tenant("einvoice", ["EINVOICE"]),
    "evil": tenant("evil", ["EMAIL", "PRINT"], name=ENCODED_WORD_PAYLOADS[0]),
}


def _overridden(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**copy.deepcopy(base), **overrides}
    return {key: value for key, value in merged.items() if value is not OMIT}


def invoice(tenant_id: str = "all", **overrides: Any) -> dict[str, Any]:
    """A valid invoice of the demo (business customer every channel can use) with overrides."""
    return _overridden(_demo()["invoices"][0], {"tenant_id": tenant_id, **overrides})


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    if value is OMIT:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


def _at(path: tuple[str | int, ...], value: Any, **overrides: Any) -> dict[str, Any]:
    return _set(invoice(**overrides), path, value)


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# --- refused at import --------------------------------------------------------------------------


def _field_values() -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path in the invoice, a value the import must refuse)."""
    for invoice_id in [
        "k" * (limits.ID_MAX_BYTES + 1),
        "ä" * (limits.ID_MAX_BYTES // 2 + 1),
        unicodedata.normalize("NFD", "é-1"),
        "q\u0301",
        "\uff2b-1",
        "k/1",
        "k 1",
        "k#1",
        ".k",
        "../../etc",
        "k\u202e1",
        "k\u200b1",
        "k\x00",
        "",
        "%2E%2E",
        *ECHOED_HOSTILE,
    ]:
        yield ("invoice_id",), invoice_id
    for value in ["yes", "off", "true", 0, 1, "1", "null"]:
        yield ("factoring",), value
        yield ("auto_dispatch",), value
    for value in [
        "1_000",
        "١٠",
        "１０",
        " 10",
        "1e3",
        "+5",
        ".5",
        "0x10",
        "NaN",
        "Infinity",
        4.5,
        True,
        "1e25",
    ]:
        yield ("lines", 0, "quantity"), value
        yield ("lines", 0, "unit_price"), value
    for value in ["101", "-1", 25.5, "24 %"]:
        yield ("lines", 0, "vat_rate"), value
    for value in ["XX", "ZZ", "fi", "FIN", "Finland", 246]:
        yield ("customer", "address", "country"), value
    for value in ["XXX", "XTS", "XAU", "ABC", "eur", "€"]:
        yield ("currency",), value
    for value in ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", 20260309, "2026-02-30", "9.3.2026"]:
        yield ("invoice_date",), value
    for value in [
        "0001-01-01T00:00:00+02:00",
        "9999-12-31T23:59:59-12:00",
        "2026-03-09T13:00:00",
        1_773_000_000,
        "yesterday",
    ]:
        yield ("created_at",), value
    yield ("due_date",), "2026-03-08"
    # Each within its own limit, together past the 15 digits of a Finvoice amount.
    yield (
        ("lines",),
        [{"description": "x", "quantity": "999999999", "unit_price": "999999.999999", "vat_rate": "24"}],
    )
    text_limits: list[tuple[tuple[str | int, ...], int]] = [
        (("number",), limits.INVOICE_NUMBER_MAX_LENGTH),
        (("customer", "name"), limits.CUSTOMER_NAME_MAX_LENGTH),
        (("customer", "business_id"), limits.BUSINESS_ID_MAX_LENGTH),
        (("customer", "email"), limits.EMAIL_MAX_LENGTH),
        (("customer", "einvoice_address"), limits.EINVOICE_ROUTING_MAX_LENGTH),
        (("customer", "einvoice_operator"), limits.EINVOICE_ROUTING_MAX_LENGTH),
        (("customer", "address", "street", 0), limits.ADDRESS_LINE_MAX_LENGTH),
        (("customer", "address", "postcode"), limits.ADDRESS_LINE_MAX_LENGTH),
        (("customer", "address", "town"), limits.ADDRESS_LINE_MAX_LENGTH),
        (("lines", 0, "description"), limits.LINE_DESCRIPTION_MAX_LENGTH),
    ]
    for path, maximum in text_limits:
        yield path, "x" * (maximum + 1)
        yield path, WIDE * (maximum + 1)
    yield ("customer", "address", "street"), ["a"] * (limits.STREET_MAX_LINES + 1)
    for breaker in ["\r\nBcc: evil@evil.example", "\x00", "\x1b[31m", "\u2028", "\uffff", "\ud800", "\t"]:
        for path in [
            ("customer", "name"),
            ("lines", 0, "description"),
            ("number",),
            ("customer", "address", "town"),
        ]:
            yield path, f"Oy{breaker}Ab"
    # Characters no embedded font prints (README, input limits): a newer emoji, Devanagari, a CJK
    # extension B ideograph, a private-use character.
    for unprintable in ["☕🧾 Kahvila", "कंपनी लिमिटेड", "\U00020000 Oy", "\ue000 Oy"]:
        for path in [("customer", "name"), ("lines", 0, "description"), ("customer", "address", "town")]:
            yield path, unprintable
    yield ("customer", "email"), "a@example.fi\r\nBcc: evil@evil.example"
    for path, value in [
        (("source",), "FAX"),
        (("status",), "PAID"),
        (("delivery_channel",), "SMS"),
        (("delivery_channel",), "einvoice"),
        (("payment_method",), "CASH"),
        (("customer", "type"), "GOVERNMENT"),
        (("customer", "language"), "de"),
        (("reference",), "1233"),
        (("reference",), "RF19539007547034"),
        (("reference",), "<script>"),
        # Digits Python's int() reads but no bank does: superscript and Arabic-Indic (found by the
        # schemathesis positive-data check: "²²²²" crashed the check digit).
        (("reference",), "\u00b2\u00b2\u00b2\u00b2"),
        (("reference",), "\u0661\u0662\u0663\u0664"),
        (("total",), "56.47"),
        (("lines",), []),
        (("lines",), {}),
        (("customer",), "Rakennus Oy"),
        (("customer", "address", "street"), "Teollisuustie 3"),
        (("customer", "einvoice_consent"), {"address": "FI7944052020036082", "operator": "NOPE"}),
        (("number",), OMIT),
        (("reference",), OMIT),
        (("customer",), OMIT),
        (("created_at",), OMIT),
        (("number",), 1001),
        (("customer", "name"), None),
    ]:
        yield path, value


def rejected_variants() -> list[Variant]:
    variants: list[Variant] = []
    for index, (path, value) in enumerate(_field_values()):
        document = _at(path, value, invoice_id=f"r-{index:03d}")
        variants.append(Variant(f"{_dotted(path)}={value!r:.40}", document, Rejected(_dotted(path))))
    lines = [invoice()["lines"][0]] * (limits.LINES_MAX + 1)
    variants.append(Variant("lines>max", invoice(invoice_id="r-lines", lines=lines), Rejected("lines")))
    variants.append(
        Variant("unknown tenant", invoice(tenant_id="nobody", invoice_id="r-tenant"), Rejected("tenant_id"))
    )
    return variants


def rejected_tenant_variants() -> list[tuple[str, dict[str, Any], str]]:
    """(name, a tenant the import must refuse, the field named)."""
    cases: list[tuple[tuple[str, ...], Any]] = [
        (("tenant_id",), "../../kahvila ä"),
        (("tenant_id",), "t" * (limits.ID_MAX_BYTES + 1)),
        (("tenant_id",), unicodedata.normalize("NFD", "kahvilä")),
        (("name",), "K" * (limits.NAME_MAX_LENGTH + 1)),
        (("name",), "Kahvila\r\nBcc: evil@evil.example"),
        (("address", "postcode"), " "),
        (("address", "country"), "XX"),
        (("settings", "active"), "yes"),
        (("settings", "consumer_einvoicing"), 1),
        (("settings", "activated_at"), "9999-12-31T00:00:00+00:00"),
        (("settings", "notify_email"), f"{ENCODED_WORD_PAYLOADS[0]}@x.fi"),
        (("settings", "notify_phone"), "040 12"),  # no phone number, in any region
        # Valid, but the Reply-To of every email of the tenant: SES cannot use it without SMTPUTF8.
        (("settings", "notify_email"), "jörg@example.fi"),
        (("factoring",), {"financier_name": "Rahoitus Oy", "agreement_id": "FA-1", "email": "räty@r.fi"}),
        (("tenant_id",), "k\x1b]8;;https://evil.example\x07t\x1b]8;;\x07"),
        (("factoring",), {"financier_name": "R" * 71, "agreement_id": "FA-1", "email": "f@r.fi"}),
    ]
    variants = []
    for path, value in cases:
        document = _set(copy.deepcopy(TENANTS["all"]), path, value)
        variants.append((f"tenant {_dotted(path)}={value!r:.30}", document, _dotted(path)))
    return variants


def document_variants() -> list[tuple[str, Callable[[str], str], str]]:
    """(name, a change of a valid scenario's JSON text, what the one-line error says)."""
    deep = "[" * 10_000 + "]" * 10_000
    return [
        (
            "nested 10,000 deep",
            lambda text: text.replace('"lines": [', f'"deep": {deep}, "lines": [', 1),
            "nests deeper",
        ),
        (
            "nested 21 deep",
            lambda text: text.replace('"lines": [', f'"deep": {"[" * 21}{"]" * 21}, "lines": [', 1),
            "nests deeper",
        ),
        ("integer of 5,000 digits", lambda text: text.replace('"10"', "9" * 5000, 1), "not valid JSON"),
        ("truncated", lambda text: text[: len(text) // 2], "not valid JSON"),
        ("not an object", lambda text: f"[{text}]", "JSON object"),
        ("duplicate by normalization", _duplicate_by_normalization, "invoice_id"),
    ]


def _duplicate_by_normalization(text: str) -> str:
    document = json.loads(text)
    composed = invoice(invoice_id="é-1")
    document["invoices"] = [composed, {**composed, "invoice_id": unicodedata.normalize("NFD", "é-1")}]
    return json.dumps(document)


# --- taken by a run -------------------------------------------------------------------------------


def _address(**overrides: Any) -> dict[str, Any]:
    return _overridden(invoice()["customer"]["address"], overrides)


def _customer(**overrides: Any) -> dict[str, Any]:
    return _overridden(invoice()["customer"], overrides)


def _run_cases() -> Iterator[tuple[str, dict[str, Any], Ended | Untouched]]:
    """(name, invoice fields, outcome) for invoices a run takes."""
    blanks: list[tuple[str, Any, str]] = []
    for part in ("postcode", "town", "country"):
        blanks += [(part, "", part), (part, " \u00a0", part), (part, OMIT, part)]
    blanks += [("street", [], "street"), ("street", ["", " "], "street"), ("street", OMIT, "street")]
    for part, value, missing in blanks:
        customer = _customer(address=_address(**{part: value}))
        yield (
            f"print-only, {part}={value!r:.10}",
            {"tenant_id": "print", "delivery_channel": "PRINT", "customer": customer},
            Ended("FAILED", reason=f"missing: {missing}"),
        )
        yield (f"chain, {part}={value!r:.10}", {"customer": customer}, Ended("SENT", "EMAIL"))
    for value in ["", "   ", OMIT]:
        customer = _customer(email=value)
        yield (
            f"email-only, email={value!r:.10}",
            {"tenant_id": "email", "delivery_channel": "EMAIL", "customer": customer},
            Ended("FAILED", reason="no email address"),
        )
        yield (
            f"chain, email={value!r:.10}",
            {"delivery_channel": "EMAIL", "customer": customer},
            Ended("SENT", "PRINT"),
        )
    for value in [
        "not-an-email",
        "a@",
        "@b.fi",
        "a@b@c.fi",
        "a..b@c.fi",
        "Evil <a@b.fi>",
        f"{ENCODED_WORD_PAYLOADS[0]}@x.fi",
    ]:
        customer = _customer(email=value)
        yield (
            f"chain, email={value}",
            {"delivery_channel": "EMAIL", "customer": customer},
            Ended("SENT", "PRINT"),
        )
    for address in ["<a>", "0037", "003701120388", "FI7944052020036083", "x" * 35, " ", ""]:
        customer = _customer(einvoice_address=address)
        yield f"chain, einvoice_address={address!r:.12}", {"customer": customer}, Ended("SENT", "EMAIL")
    for operator in ["notanoperator", "<a>", "12345678", " ", OMIT]:
        customer = _customer(einvoice_operator=operator)
        yield (
            f"chain, einvoice_operator={operator!r:.12}",
            {"customer": customer},
            Ended("SENT", "EMAIL"),
        )
    yield (
        "einvoice-only, operator <a>",
        {"tenant_id": "einvoice", "customer": _customer(einvoice_operator="<a>")},
        Ended("FAILED", reason="e-invoice operator"),
    )
    for payload in ENCODED_WORD_PAYLOADS:
        customer = _customer(name=payload, einvoice_address=OMIT)
        yield f"header payload {payload[:16]}", {"customer": customer}, Ended("SENT", "EMAIL")
        yield (
            f"evil tenant {payload[:16]}",
            {"tenant_id": "evil", "delivery_channel": "EMAIL", "customer": customer},
            Ended("SENT", "EMAIL"),
        )
    for text in XML_HOSTILE:
        yield f"xml name {text[:12]}", {"customer": _customer(name=text)}, Ended("SENT", "EINVOICE")
        line = {**invoice()["lines"][0], "description": text}
        yield f"xml description {text[:12]}", {"lines": [line]}, Ended("SENT", "EINVOICE")
    for text in UNICODE_TEXTS:
        yield f"unicode name {text[:8]}", {"customer": _customer(name=text)}, Ended("SENT", "EINVOICE")
        yield (
            f"unicode name by email {text[:8]}",
            {"delivery_channel": "EMAIL", "customer": _customer(name=text)},
            Ended("SENT", "EMAIL"),
        )
    # A control character the import accepts (DejaVu Sans has a glyph for U+202E) prints in the
    # email's PDF like any other character.
    yield (
        "number starting with U+202E",
        {"delivery_channel": "EMAIL", "number": "\u202e1001"},
        Ended("SENT", "EMAIL"),
    )
    maximal_line = {
        "description": WIDE * limits.LINE_DESCRIPTION_MAX_LENGTH,
        "quantity": "1",
        "unit_price": "1.00",
        "vat_rate": "25.5",
    }
    maximal_customer = _customer(
        name="Ö" * limits.CUSTOMER_NAME_MAX_LENGTH,
        address=_address(street=["Katu " + "k" * 30] * 3, town="T" * 35),
    )
    yield (
        "every maximum",
        {"lines": [maximal_line] * limits.LINES_MAX, "customer": maximal_customer},
        Ended("SENT", "EINVOICE"),
    )
    yield (
        "first day",
        {"invoice_date": "1900-01-01", "due_date": "1900-01-31", "created_at": "1900-01-01T00:00:00+14:00"},
        Ended("SENT", "EINVOICE"),
    )
    yield "last due day", {"due_date": "2999-12-31"}, Ended("SENT", "EINVOICE")
    yield (
        "last due day by letter",
        {"delivery_channel": "PRINT", "due_date": "2999-12-31"},
        Ended("SENT", "PRINT"),
    )
    credit = {**invoice()["lines"][0], "quantity": "-10"}
    yield "credit note", {"lines": [credit]}, Ended("SENT", "EINVOICE")
    yield (
        "credit note by email",
        {"delivery_channel": "EMAIL", "lines": [credit]},
        Ended("SENT", "EMAIL"),
    )
    zero = {**invoice()["lines"][0], "unit_price": "0"}
    yield "zero total", {"lines": [zero]}, Ended("SENT", "EINVOICE")
    big = {**invoice()["lines"][0], "quantity": "7900000", "unit_price": "99999999.99"}
    yield "largest amounts", {"lines": [big]}, Ended("SENT", "EINVOICE")
    for currency in ["SEK", "USD"]:
        yield f"currency {currency}", {"currency": currency}, Ended("SENT", "EINVOICE")
    yield (
        "channel not enabled",
        {"tenant_id": "print"},
        Ended("IGNORED", reason="delivery channel “E-invoice to a business or consumer” is not enabled"),
    )
    yield (
        "direct payment without print",
        {
            "tenant_id": "email",
            "delivery_channel": "EMAIL",
            "payment_method": "DIRECT_PAYMENT",
            "customer": _customer(type="CONSUMER", business_id=OMIT),
        },
        Ended("IGNORED", reason="direct-payment"),
    )
    yield (
        "direct payment to a business",
        {"payment_method": "DIRECT_PAYMENT"},
        Ended("FAILED", reason="the payment method is direct payment, a consumer payment method"),
    )
    yield (
        "consumer without consent",
        {"customer": _customer(type="CONSUMER", business_id=OMIT)},
        Ended("SENT", "EMAIL"),
    )
    yield "already sent", {"status": "SENT"}, Untouched("SENT")
    yield (
        "unknown fields",
        {"x-extra": {"nested": [1, {"a": None}]}, "customer": {**_customer(), "x": "y"}},
        Ended("SENT", "EINVOICE"),
    )
    yield "unicode ids", {"invoice_id": "請求-é.1:2_3"}, Ended("SENT", "EINVOICE")


def run_variants() -> list[Variant]:
    variants = []
    for index, (name, fields, expect) in enumerate(_run_cases()):
        variants.append(Variant(name, invoice(**{"invoice_id": f"h-{index:03d}", **fields}), expect))
    return variants


def run_scenario_document(variants: list[Variant]) -> dict[str, Any]:
    return {"tenants": list(TENANTS.values()), "invoices": [variant.invoice for variant in variants]}
