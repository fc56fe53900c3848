"""The Finnish bank barcode as text, "virtuaaliviivakoodi" (Finanssiala: Pankkiviivakoodi-opas).

54 digits: version, the account's 16 IBAN digits, the amount in euros (6) and cents (2), the
reference, and the due date as YYMMDD.
- Version 4 carries a Finnish national reference: 3 reserved zeros, then the reference right
  aligned in 20 digits.
- Version 5 carries an RF creditor reference: its 2 check digits, then its body right aligned in
  21 digits (only numeric bodies fit).
An amount over 999 999,99 is written as zeros (the payer types it in); there is no barcode for a
negative amount (a credit note has nothing to pay), a non-euro invoice or a non-Finnish account.
"""

from datetime import date
from decimal import Decimal

from autodispatch.channels.text import money

MAX_AMOUNT = Decimal("999999.99")


def virtual_barcode(
    iban: str, amount: Decimal, reference: str, due_date: date | None, currency: str = "EUR"
) -> str | None:
    """The 54-digit barcode text, or None when the invoice cannot carry one."""
    account = iban.replace(" ", "").upper()
    if currency != "EUR" or not account.startswith("FI") or len(account) != 18 or not account[2:].isdigit():
        return None
    amount = money(amount)
    if amount < 0:
        return None
    cents_total = 0 if amount > MAX_AMOUNT else int(amount * 100)
    euros, cents = divmod(cents_total, 100)
    due = due_date.strftime("%y%m%d") if due_date is not None else "000000"
    compact = reference.replace(" ", "").upper()
    if compact.startswith("RF"):
        check, body = compact[2:4], compact[4:]
        if not (check.isdigit() and body.isdigit()) or len(body) > 21:
            return None
        return f"5{account[2:]}{euros:06d}{cents:02d}{check}{body.zfill(21)}{due}"
    if not compact.isdigit() or len(compact) > 20:
        return None
    return f"4{account[2:]}{euros:06d}{cents:02d}000{compact.zfill(20)}{due}"
