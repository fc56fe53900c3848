"""What the OpenAPI schema cannot say, told to schemathesis's positive data generation.

The schema says every check JSON Schema can (models/patterns.py); a body valid by it can still
break a check only code makes: check digits (business id, IBAN, payment reference), an id's normal
form and byte length, a phone number or email address that works, a due date after the invoice
date, totals that fit and add up, an id in the path that is the body's, a cursor the API issued.
`within_rules` (a schemathesis `map_case` hook, for positive data only) fixes exactly those parts
of a generated case, with python-stdnum and the libraries the validation uses, and leaves the rest
as generated, so the positive-data check covers the PUT bodies and the cursors too."""

import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from schemathesis.hooks import HookContext, HookDispatcher, HookScope
from stdnum import iban, iso11649
from stdnum.fi import alv
from stdnum.iso7064 import mod_97_10

from autodispatch.logic.open_invoices import _encode
from autodispatch.models.fields import _identifier, is_valid_finnish_reference
from autodispatch.models.invalid import Invalid
from autodispatch.models.limits import ID_MAX_BYTES, ID_PUNCTUATION
from autodispatch.models.scenario import AMOUNT_LIMIT, Line, compute_totals

_ID_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})
_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_REFERENCE_WEIGHTS = (7, 3, 1)


def _with_characters(value: str, kept: Callable[[str], bool], replacements: dict[int, str]) -> str:
    """`value` with its n-th character of those `kept` counts replaced by `replacements[n]`
    (separators stay where they were generated)."""
    out, seen = [], 0
    for char in value:
        if kept(char):
            out.append(replacements.get(seen, char))
            seen += 1
        else:
            out.append(char)
    return "".join(out)


def _is_ascii_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def identifier(value: str) -> str:
    """An id as fields._identifier takes it: NFKC, letters and digits (and -_.: after the first),
    at most ID_MAX_BYTES of UTF-8."""
    text = value
    for _ in range(3):  # normalizing can compose what removing a character brought together
        text = unicodedata.normalize("NFKC", text)
        text = "".join(c for c in text if unicodedata.category(c) in _ID_LETTERS or c in ID_PUNCTUATION)
        text = text.lstrip(ID_PUNCTUATION)
        while len(text.encode()) > ID_MAX_BYTES:
            text = text[:-1]
        try:
            return _identifier(text)
        except Invalid:
            continue
    return f"id{len(value)}"


def business_id(value: str) -> str:
    """The check digit of the generated Finnish business id (the schema says its shape)."""
    digits = [int(c) for c in value if _is_ascii_digit(c)]
    for _ in range(10):  # a remainder of 1 has no check digit: change the last digit before it
        check = -sum(w * d for w, d in zip(_BUSINESS_ID_WEIGHTS, digits, strict=False)) % 11
        if check < 10:
            fixed = _with_characters(value, _is_ascii_digit, {7: str(check), 6: str(digits[6])})
            assert alv.is_valid(fixed), fixed
            return fixed
        digits[6] = (digits[6] + 1) % 10
    raise AssertionError(value)


def account(value: str) -> str:
    """The IBAN's two check digits (the schema says each country's structure). Belgium, Spain,
    Montenegro and Norway check national digits inside the account too: such an account is made
    a Finnish one of the same digits."""
    fixed = _with_characters(value, _is_ascii_alnum, dict(enumerate(iban.calc_check_digits(value), start=2)))
    if iban.is_valid(fixed):
        return fixed
    digits = ("".join(c for c in value if _is_ascii_digit(c)) + "0" * 14)[:14]
    finnish = f"FI00{digits}"
    return f"FI{iban.calc_check_digits(finnish)}{digits}"


def reference(value: str) -> str:
    """The check digit(s) of a Finnish or an RF reference."""
    compact = value.replace(" ", "").upper()
    if compact.startswith("RF"):
        body = iso11649.compact(compact)[4:]
        checks = mod_97_10.calc_check_digits(body + "RF")
        fixed = _with_characters(value, _is_ascii_alnum, {2: checks[0], 3: checks[1]})
        assert iso11649.is_valid(fixed.replace(" ", "")), fixed
        return fixed
    digits = [int(c) for c in compact]
    total = sum(d * _REFERENCE_WEIGHTS[i % 3] for i, d in enumerate(reversed(digits[:-1])))
    fixed = _with_characters(value, _is_ascii_digit, {len(digits) - 1: str((10 - total % 10) % 10)})
    assert is_valid_finnish_reference(fixed.replace(" ", "")), fixed
    return fixed


def phone(value: str) -> str:
    """A number phonenumbers finds valid: the generated one, else a Finnish mobile of its digits."""
    try:
        if phonenumbers.is_valid_number(phonenumbers.parse(value, "FI")):
            return value
    except phonenumbers.NumberParseException:
        pass
    digits = ("".join(c for c in value if _is_ascii_digit(c)) + "0" * 7)[:7]
    return f"+35840{digits}"


def email(value: str) -> str:
    """An address email-validator takes with an ASCII local part: the generated one, else one of
    its local part's letters and digits at a domain that exists."""
    try:
        if validate_email(value, check_deliverability=False).ascii_email:
            return value
    except EmailNotValidError:
        pass
    local = "".join(c for c in value.split("@", maxsplit=1)[0] if _is_ascii_alnum(c))[:64] or "laskutus"
    return f"{local}@example.fi"


def _fix(body: dict[str, Any], field: str, fix: Callable[[str], str]) -> None:
    if isinstance(body.get(field), str):
        body[field] = fix(body[field])


def tenant(body: dict[str, Any]) -> None:
    _fix(body, "tenant_id", identifier)
    _fix(body, "business_id", business_id)
    _fix(body, "iban", account)
    if isinstance(body.get("settings"), dict):
        settings(body["settings"])
    if isinstance(body.get("factoring"), dict):
        _fix(body["factoring"], "email", email)


def settings(body: dict[str, Any]) -> None:
    _fix(body, "notify_email", email)
    _fix(body, "notify_phone", phone)


def invoice(body: dict[str, Any]) -> None:
    _fix(body, "tenant_id", identifier)
    _fix(body, "invoice_id", identifier)
    _fix(body, "reference", reference)
    if body["due_date"] < body["invoice_date"]:
        body["due_date"], body["invoice_date"] = body["invoice_date"], body["due_date"]
    lines = [Line.model_validate(line) for line in body["lines"]]
    if max(abs(amount) for amount in _amounts(lines)) >= AMOUNT_LIMIT:
        for line in body["lines"]:
            line["quantity"] = 1
        lines = [Line.model_validate(line) for line in body["lines"]]
    if body.get("total") is not None:
        body["total"] = str(compute_totals(lines).gross)


def _amounts(lines: list[Line]) -> list[Decimal]:
    totals = compute_totals(lines)
    return [*(line.net for line in lines), totals.net, totals.vat, totals.gross]


BODIES: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    ("PUT", "/tenants/{tenant_id}"): tenant,
    ("PUT", "/tenants/{tenant_id}/settings"): settings,
    ("PUT", "/tenants/{tenant_id}/invoices/{invoice_id}"): invoice,
}
# The ids of the path a PUT body repeats (routes._check_path_id).
PATH_IDS = ("tenant_id", "invoice_id")


def within_rules(context: HookContext, case: Any) -> Any:
    operation = (case.operation.method.upper(), case.operation.path)
    fix = BODIES.get(operation)
    if fix is not None and isinstance(case.body, dict):
        fix(case.body)
        for name in PATH_IDS:
            if name in case.path_parameters and name in case.body:
                case.path_parameters[name] = case.body[name]
    if case.query and case.query.get("cursor") is not None:
        # A cursor as the API issues it: of this tenant's list, after an invoice id.
        case.path_parameters["tenant_id"] = identifier(case.path_parameters["tenant_id"])
        case.query["cursor"] = _encode(case.path_parameters["tenant_id"], identifier(case.query["cursor"]))
    return case


def positive_hooks() -> HookDispatcher:
    hooks = HookDispatcher(scope=HookScope.TEST)
    hooks.register_hook_with_name(within_rules, "map_case")
    return hooks
