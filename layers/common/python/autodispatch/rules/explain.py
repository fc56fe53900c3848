"""R19: the one-line message and the detailed explanation ("hover text") of an outcome, as words
as data: message codes with their parameters (`autodispatch.models.text`), rendered when read."""

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import AutodispatchError
from autodispatch.models.dispatch import ChannelNote, Decision
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind
from autodispatch.models.text import Text, by_channel, channel_label, lines, verbatim

IGNORED_HEADLINE = Text.of(f"headline.{AutoDispatchState.IGNORED}")
FAILED_HEADLINE = Text.of(f"headline.{AutoDispatchState.FAILED}")


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: Text
    details: Text


def outside(text: str) -> Text:
    """A text from outside the project (a channel's rejection, an error): one line, shown as it is;
    the one-line message (and each detail step) stays one line."""
    return verbatim(" ".join(text.split()))


def error_text(error: AutodispatchError) -> Text:
    """An error's words as data where it said them so (the e-invoice gate's broken rules, in the
    reader's language), else its own text as it is, from outside."""
    return error.text if error.text is not None else outside(str(error))


def _step(position: int, note: ChannelNote) -> Text:
    return Text.of(
        "step",
        position=str(position),
        channel=channel_label(note.channel),
        verdict=Text.of(f"verdict.{note.verdict}"),
        reason=note.reason,
    )


def _steps(notes: tuple[ChannelNote, ...]) -> tuple[Text, ...]:
    return tuple(_step(position, note) for position, note in enumerate(notes, start=1))


def explain_sent(channel: Channel, kind: DeliveryKind, notes: tuple[ChannelNote, ...]) -> Explanation:
    message = Text.of(f"sent.{kind}", by=by_channel(channel))
    if len(notes) > 1:
        message = Text.of("sent.after_unusable", message=message, count=len(notes) - 1)
    details = lines(Text.of(f"sent.details.{kind}", by=by_channel(channel)), *_steps(notes))
    return Explanation(message=message, details=details)


def explain_ignored(decision: Decision) -> Explanation:
    reason = decision.reason or Text.of("ignored.default")
    return Explanation(
        message=Text.of("headline_reason", headline=IGNORED_HEADLINE, reason=reason),
        details=Text.of("ignored.details", headline=IGNORED_HEADLINE, reason=reason),
    )


def explain_failed(decision: Decision) -> Explanation:
    reason = decision.reason or Text.of("failed.default")
    return Explanation(
        message=Text.of("headline_reason", headline=FAILED_HEADLINE, reason=reason),
        details=lines(
            Text.of("failed.first_line", headline=FAILED_HEADLINE, reason=reason),
            *_steps(decision.notes),
            Text.of("failed.advice"),
        ),
    )


def explain_in_doubt(channel: Channel) -> Explanation:
    """R23: a crash left it unknown whether the channel accepted the invoice."""
    return _unknown_outcome(Text.of("reason.in_doubt", by=by_channel(channel)))


def explain_no_clear_answer(channel: Channel, cause: str) -> Explanation:
    """R23: the channel may have accepted the invoice but did not say so (e.g. a server error
    after the request went out)."""
    return _unknown_outcome(Text.of("reason.no_clear_answer", by=by_channel(channel), cause=outside(cause)))


def explain_retry_rejected(channel: Channel, rejection: Text) -> Explanation:
    """R12, R23: an earlier attempt by the channel had an unknown outcome and the retry was
    rejected, so the chain cannot move on without risking a second delivery."""
    return _unknown_outcome(Text.of("reason.retry_rejected", by=by_channel(channel), rejection=rejection))


def explain_unexpected(error_type: str) -> Explanation:
    """R24: an error nobody foresaw stopped this invoice; the others went on."""
    return _unknown_outcome(Text.of("reason.unexpected", error=error_type))


def explain_unfinished(error: str) -> Explanation:
    """R24: the run's batch holding this invoice failed for good (a timeout, an outage that outlasted
    the retries) before the invoice was sent; nothing was sent, and it is not taken again (R9)."""
    reason = Text.of("reason.unfinished", error=outside(error))
    return Explanation(
        message=Text.of("headline_reason", headline=FAILED_HEADLINE, reason=reason),
        details=Text.of("unfinished.details", headline=FAILED_HEADLINE, reason=reason),
    )


def explain_email_account(cause: Text) -> Explanation:
    """The email service would not send for the sender's account (`cause`, words from the catalogue):
    nothing was sent and the chain stops, since the customer's email is not at fault; the operator
    is alerted (a metric and its alarm)."""
    reason = Text.of("reason.email_account", cause=cause)
    return Explanation(
        message=Text.of("headline_reason", headline=FAILED_HEADLINE, reason=reason),
        details=Text.of("email_account.details", headline=FAILED_HEADLINE, reason=reason),
    )


def _unknown_outcome(what_happened: Text) -> Explanation:
    reason = Text.of("reason.not_sent_again", what=what_happened)
    return Explanation(
        message=Text.of("headline_reason", headline=FAILED_HEADLINE, reason=reason),
        details=Text.of("unknown_outcome.details", headline=FAILED_HEADLINE, reason=reason),
    )


def explain_invalid(problem: str) -> Explanation:
    """R25: an invoice that reached a run with bad data (the validation's own words)."""
    return Explanation(
        message=Text.of("invalid.message", headline=FAILED_HEADLINE, problem=outside(problem)),
        details=Text.of("invalid.details", headline=FAILED_HEADLINE, problem=outside(problem)),
    )
