"""R19: the one-line message and the detailed explanation ("hover text") of an outcome."""

from pydantic import BaseModel, ConfigDict

from autodispatch.models.dispatch import ChannelNote, Decision, Verdict
from autodispatch.models.enums import Channel, DeliveryKind

CHANNEL_NAMES = {Channel.EINVOICE: "e-invoice", Channel.EMAIL: "email", Channel.PRINT: "print service"}


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: str
    details: str


def _one_line(text: str) -> str:
    """Collapse line breaks and runs of whitespace: a reason may come from a channel's rejection
    or from a validation error, and the one-line message (and each detail step) stays one line."""
    return " ".join(text.split())


def _note_line(position: int, note: ChannelNote) -> str:
    label = {
        Verdict.NOT_ENABLED: "not enabled",
        Verdict.UNUSABLE: "cannot be used",
        Verdict.REJECTED: "rejected",
        Verdict.CHOSEN: "accepted",
    }[note.verdict]
    return f"{position}. {note.channel} ({label}): {_one_line(note.reason)}"


def _steps(notes: tuple[ChannelNote, ...]) -> str:
    return "\n".join(_note_line(position, note) for position, note in enumerate(notes, start=1))


def explain_sent(channel: Channel, kind: DeliveryKind, notes: tuple[ChannelNote, ...]) -> Explanation:
    what = "Direct-payment pre-notification" if kind is DeliveryKind.DIRECT_PAYMENT_NOTICE else "Invoice"
    message = f"Sent automatically by {CHANNEL_NAMES[channel]}"
    if kind is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        message = f"Direct-payment pre-notification sent automatically by {CHANNEL_NAMES[channel]}"
    if len(notes) > 1:
        message += f" after {len(notes) - 1} unusable channel(s)"
    details = "\n".join(
        line
        for line in (f"{what} sent automatically by {CHANNEL_NAMES[channel]} ({channel}).", _steps(notes))
        if line
    )
    return Explanation(message=message, details=details)


def explain_ignored(decision: Decision) -> Explanation:
    reason = _one_line(decision.reason or "the invoice cannot be dispatched automatically")
    return Explanation(
        message=f"Automatic dispatch ignored: {reason}",
        details=f"Automatic dispatch ignored: {reason}. Nothing was sent; send the invoice manually.",
    )


def explain_failed(decision: Decision) -> Explanation:
    reason = _one_line(decision.reason or "no channel could deliver the invoice")
    return Explanation(
        message=f"Automatic dispatch failed: {reason}",
        details="\n".join(
            line
            for line in (
                f"Automatic dispatch failed: {reason}.",
                _steps(decision.notes),
                "Correct the invoice or the customer's details and send the invoice manually.",
            )
            if line
        ),
    )


def explain_in_doubt(channel: Channel) -> Explanation:
    """R23: a crash left it unknown whether the channel accepted the invoice."""
    return _unknown_outcome(
        f"a run stopped while sending by {CHANNEL_NAMES[channel]}; it is unknown whether the invoice "
        "reached the customer"
    )


def explain_no_clear_answer(channel: Channel, cause: str) -> Explanation:
    """R23: the channel may have accepted the invoice but did not say so (e.g. a server error
    after the request went out)."""
    return _unknown_outcome(
        f"sending by {CHANNEL_NAMES[channel]} got no clear answer ({_one_line(cause)}); it is unknown "
        "whether the invoice reached the customer"
    )


def explain_retry_rejected(channel: Channel, rejection: str) -> Explanation:
    """R12, R23: an earlier attempt by the channel had an unknown outcome and the retry was
    rejected, so the chain cannot move on without risking a second delivery."""
    return _unknown_outcome(
        f"an earlier attempt by {CHANNEL_NAMES[channel]} had an unknown outcome and the retry was "
        f"rejected ({_one_line(rejection)}); it is unknown whether the invoice reached the customer"
    )


def explain_unexpected(error_type: str) -> Explanation:
    """R24: an error nobody foresaw stopped this invoice; the others went on."""
    return _unknown_outcome(
        f"an unexpected error ({error_type}) stopped the dispatch of this invoice; it may or may not "
        "have reached the customer"
    )


def explain_unfinished(error: str) -> Explanation:
    """R24: the run's batch holding this invoice failed for good (a timeout, an outage that outlasted
    the retries) before the invoice was sent; nothing was sent, and it is not taken again (R9)."""
    reason = f"the run could not dispatch this invoice before it ended ({_one_line(error)}); nothing was sent"
    return Explanation(
        message=f"Automatic dispatch failed: {reason}",
        details=f"Automatic dispatch failed: {reason}. Send the invoice manually.",
    )


def _unknown_outcome(what_happened: str) -> Explanation:
    reason = f"{what_happened}, so it is not sent again automatically"
    return Explanation(
        message=f"Automatic dispatch failed: {reason}",
        details=f"Automatic dispatch failed: {reason}. Check with the customer and send manually if needed.",
    )


def explain_invalid(problem: str) -> Explanation:
    """R25: an invoice that reached a run with bad data."""
    problem = _one_line(problem)
    return Explanation(
        message=f"Automatic dispatch failed: invalid invoice data: {problem}",
        details=(
            f"Automatic dispatch failed: the invoice data is invalid: {problem}. "
            "Correct it and send manually."
        ),
    )
