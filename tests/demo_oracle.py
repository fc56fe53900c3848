"""The demo scenario (examples/demo-scenario.json) worked out by hand from SPEC.md for the runs
of 10 and 11 March 2026: the one oracle the unit test of the pure rules (tests/unit/
test_demo_scenario.py) and the end-to-end test of the state machine (tests/e2e/test_nightly_run.py)
both check against. Every channel is assumed to accept what it is given, so each SEND is final."""

from datetime import date
from typing import NamedTuple

from autodispatch.models.dispatch import Outcome
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.rules.due import NotTaken

NIGHT_1, NIGHT_2 = date(2026, 3, 10), date(2026, 3, 11)

EINVOICE, EMAIL, PRINT = Channel.EINVOICE, Channel.EMAIL, Channel.PRINT
INVOICE, NOTICE = DeliveryKind.INVOICE, DeliveryKind.DIRECT_PAYMENT_NOTICE
SEND, IGNORE, FAIL = Outcome.SEND, Outcome.IGNORE, Outcome.FAIL


class Row(NamedTuple):
    invoice_id: str
    night: date
    not_taken: NotTaken | None  # why the run leaves the invoice alone; None when it is taken
    outcome: Outcome | None
    channel: Channel | None
    kind: DeliveryKind | None
    considered: list[Channel] | None  # the chain's notes in order; for FAIL, the channels tried
    factoring: Channel | None  # where the R17 factoring message goes
    reason: str


def sent(invoice_id, night, channel, considered, reason, kind=INVOICE, factoring=None):
    return Row(invoice_id, night, None, SEND, channel, kind, considered, factoring, reason)


def failed(invoice_id, night, considered, reason):
    return Row(invoice_id, night, None, FAIL, None, INVOICE, considered, None, reason)


def ignored(invoice_id, night, considered, reason):
    return Row(invoice_id, night, None, IGNORE, None, INVOICE, considered, None, reason)


def skipped(invoice_id, night, why, reason):
    return Row(invoice_id, night, why, None, None, None, None, None, reason)


N1, N2 = NIGHT_1, NIGHT_2
# fmt: off
HAND_TABLE = [
    # Night of 10.3. kahvila: all sources and channels, CREATION_DATE, consumer e-invoicing on,
    # factoring agreement with an email destination.
    sent("k-1001", N1, EINVOICE, [EINVOICE],
         "R6/R13: created 9.3 13:00; business with e-invoice address, operator and full address"),
    sent("k-1002", N1, EMAIL, [EINVOICE, EMAIL],
         "R12/R14: no e-invoice address; next channel EMAIL is enabled and the email is valid"),
    sent("k-1003", N1, EMAIL, [EMAIL], "R12/R14: own channel EMAIL, consumer has a valid email"),
    sent("k-1004", N1, PRINT, [EMAIL, PRINT],
         "R14/R15: consumer has no email; PRINT is enabled and the address is complete"),
    failed("k-1005", N1, [EMAIL, PRINT], "R14/R15/R16: no email and no postal address"),
    skipped("k-1006", N1, NotTaken.ALREADY_SENT, "R5: imported through the API as already sent"),
    skipped("k-1007", N1, NotTaken.REMOVED, "R8: auto_dispatch false, removed by the user"),
    sent("k-1008", N1, EINVOICE, [EINVOICE],
         "R18: direct payment, EINVOICE+PRINT enabled, consent: notice by consumer e-invoice", kind=NOTICE),
    sent("k-1009", N1, EINVOICE, [EINVOICE],
         "R13/R17: full e-invoice details; factoring message to the financier's email", factoring=EMAIL),
    skipped("k-1010", N1, NotTaken.NOT_DUE, "R6: created 10.3 09:00, after the midnight starting 10.3"),
    sent("k-1011", N1, EINVOICE, [EINVOICE],
         "R13: business on Peppol (participant id 0216:...), no operator needed: Peppol BIS 3 e-invoice"),
    # Night of 10.3. tilitoimisto: MANUAL+API, EINVOICE+PRINT, INVOICE_DATE, no consumer e-invoicing.
    ignored("t-501", N1, [EMAIL], "R11: own channel EMAIL is not enabled"),
    skipped("t-502", N1, NotTaken.NOT_DUE, "R7: invoice date 11.3 is after the run date"),
    failed("t-503", N1, [EINVOICE, EMAIL],
           "R7/R12: back-dated 3.3 (created 9.3), due; no e-invoice address, EMAIL off: PRINT not tried"),
    skipped("t-504", N1, NotTaken.SOURCE_NOT_ENABLED, "R3: CONTRACT_BILLING is not an enabled source"),
    # Night of 11.3, after night 1: sent invoices are SENT (R5), failed/ignored ones are final (R9).
    skipped("k-1001", N2, NotTaken.ALREADY_SENT, "R5: sent on 10.3"),
    skipped("k-1002", N2, NotTaken.ALREADY_SENT, "R5: sent on 10.3"),
    skipped("k-1003", N2, NotTaken.ALREADY_SENT, "R5: sent on 10.3"),
    skipped("k-1004", N2, NotTaken.ALREADY_SENT, "R5: sent on 10.3"),
    skipped("k-1005", N2, NotTaken.ALREADY_HANDLED, "R9: FAILED on 10.3, never retried"),
    skipped("k-1006", N2, NotTaken.ALREADY_SENT, "R5: imported as sent"),
    skipped("k-1007", N2, NotTaken.REMOVED, "R8: still removed"),
    skipped("k-1008", N2, NotTaken.ALREADY_SENT, "R5: pre-notification sent on 10.3"),
    skipped("k-1009", N2, NotTaken.ALREADY_SENT, "R5: sent on 10.3"),
    sent("k-1010", N2, EMAIL, [EMAIL], "R6/R14/R2: created 10.3, due 11.3; credit note goes like an invoice"),
    skipped("k-1011", N2, NotTaken.ALREADY_SENT, "R5: sent on 10.3"),
    skipped("t-501", N2, NotTaken.ALREADY_HANDLED, "R9: IGNORED on 10.3, never retried"),
    sent("t-502", N2, EINVOICE, [EINVOICE], "R7/R13: its invoice date has come; full e-invoice details"),
    skipped("t-503", N2, NotTaken.ALREADY_HANDLED, "R9: FAILED on 10.3, never retried"),
    skipped("t-504", N2, NotTaken.SOURCE_NOT_ENABLED, "R3: source still not enabled"),
]
# fmt: on


_UNTAKEN_STATE = {NotTaken.ALREADY_SENT: "SENT", NotTaken.REMOVED: "REMOVED"}


def final_outcome(invoice_id: str) -> tuple[str, str | None, str | None]:
    """Where the two nights leave the invoice: its automatic-dispatch state, channel and the night
    it was sent on, as the run report shows them."""
    rows = [row for row in HAND_TABLE if row.invoice_id == invoice_id]
    for row in rows:
        if row.outcome is SEND and row.channel is not None:
            return "SENT", row.channel.value, row.night.isoformat()
        if row.outcome is not None:
            return ("FAILED" if row.outcome is FAIL else "IGNORED"), None, None
    first = rows[0].not_taken
    return _UNTAKEN_STATE.get(first, "PENDING") if first is not None else "PENDING", None, None


INVOICE_IDS = sorted({row.invoice_id for row in HAND_TABLE})
