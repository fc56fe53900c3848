"""R23 as one decision: what is known of an invoice's automatic dispatch (its plan, the progress
read from its history, the attempt a stopped run left on it, which channels are safe to repeat)
-> the next action. Pure; `autodispatch.logic.recovery` explains the whole design, and the
dispatch (`logic/dispatch.py`) and the sweep of unfinished runs (`logic/unfinished.py`) only carry
the action out.
"""

from collections.abc import Sequence
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import channels_before
from autodispatch.models.text import Text

# A user's action starts the invoice's automatic dispatch afresh.
_FRESH_START = frozenset(
    {
        HistoryEventKind.REMOVED_BY_USER,
        HistoryEventKind.RESTORED_BY_USER,
        HistoryEventKind.TURNED_OFF_BY_ACTIVATION,
    }
)
_FOLLOW_UP = frozenset({HistoryEventKind.FACTORING_SENT, HistoryEventKind.FACTORING_FAILED})
# The automation's email did not reach the customer after all (R26).
_EMAIL_FAILED = frozenset({HistoryEventKind.EMAIL_BOUNCED, HistoryEventKind.EMAIL_REJECTED})
NOT_AGAIN_AFTER_EMAIL = Text.of("reason.not_again_after_email")
REJECTED = Text.of("verdict.REJECTED")
EMAIL_BOUNCED = Text.of("reason.email_bounced")


class Progress(BaseModel):
    """What earlier attempts of a pending invoice's automatic dispatch established, read from its
    history (each attempt's events are written before the next step): the channels that rejected
    it for good, the channel that delivered it, and whether its follow-up message was handled."""

    model_config = ConfigDict(frozen=True)

    rejected: dict[Channel, Text] = {}
    delivered: Channel | None = None
    delivered_at: AwareDatetime | None = None
    # The run that delivered it (the SENT event's run id).
    delivered_by: str | None = None
    follow_up_done: bool = False
    # Why the financier's copy (R17) was last refused without doubt: the reason its FACTORING_DEFERRED
    # event records (throttled: that attempt sent nothing). Whether a later attempt may have gone is
    # the claim's to say (`next_action`).
    copy_refused: Text | None = None


def progress(history: Sequence[HistoryEvent]) -> Progress:
    starts = [i for i, event in enumerate(history) if event.event in _FRESH_START]
    current = history[starts[-1] + 1 :] if starts else history
    rejected: dict[Channel, Text] = {}
    delivered: HistoryEvent | None = None
    copy_refused: Text | None = None
    for event in current:
        if event.event is HistoryEventKind.CHANNEL_REJECTED and event.channel is not None:
            rejected[event.channel] = event.detail or REJECTED
        elif event.event is HistoryEventKind.SENT and delivered is None:
            delivered = event
        elif event.event in _EMAIL_FAILED and delivered is not None and delivered.channel is Channel.EMAIL:
            # R12, R26: the chain goes on after EMAIL, never back to it or to a channel before it.
            for channel in channels_before(delivered.channel):
                rejected.setdefault(channel, NOT_AGAIN_AFTER_EMAIL)
            rejected[delivered.channel] = event.detail or EMAIL_BOUNCED
            delivered = None
        elif event.event is HistoryEventKind.FACTORING_DEFERRED:
            copy_refused = event.detail or REJECTED
    return Progress(
        rejected=rejected,
        delivered=delivered.channel if delivered is not None else None,
        delivered_at=delivered.at if delivered is not None else None,
        delivered_by=delivered.run_id if delivered is not None else None,
        follow_up_done=any(event.event in _FOLLOW_UP for event in current),
        copy_refused=copy_refused,
    )


class LeftAttempt(BaseModel):
    """An attempt whose outcome is unknown: a stopped run left it on the invoice, or a send just
    got no clear answer. `delivered`: the invoice itself had gone out by that channel (the marker
    written before the financier's copy, R17), so only the copy was unfinished."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    kind: DeliveryKind = DeliveryKind.INVOICE
    delivered: Channel | None = None
    # The S3 outbox object the attempt staged its document for (a transmission file), and whether
    # that object exists: True, the document went out in it; False, nothing of the attempt left the
    # process (every invocation of it has ended); None, not known.
    transmission: str | None = None
    transmitted: bool | None = None


class Known(BaseModel):
    """Everything the decision reads. `remaining`: the plan's channels in chain order, less those
    that rejected the invoice for good (empty when the plan sends nothing); `factoring_copy`: the
    channel of the plan's factoring copy (R17), None without one; `repeat_safe`: the channels on which
    sending again cannot deliver twice (a deterministic message id), given by the channels; `sends`:
    False for the sweep of an unfinished run, which sends nothing and says what is known."""

    model_config = ConfigDict(frozen=True)

    remaining: tuple[Channel, ...]
    factoring_copy: Channel | None = None
    progress: Progress = Progress()
    left: LeftAttempt | None = None
    repeat_safe: frozenset[Channel] = frozenset()
    sends: bool = True


class Step(StrEnum):
    # Down `channels` in order; `repeating`: the first repeats an attempt of unknown outcome, so a
    # rejection there must not move on (the first attempt may have delivered).
    SEND = "SEND"
    # The invoice went out by `channel`: SENT, never sent again; `factoring_copy` says what of it.
    SETTLE_SENT = "SETTLE_SENT"
    # An attempt by `channel` may have delivered and repeating it could deliver twice: FAILED,
    # explained as in doubt, whatever the plan says now.
    FAIL_IN_DOUBT = "FAIL_IN_DOUBT"
    # Nothing was sent and nothing is to be sent: IGNORED or FAILED as the plan says (R11, R12).
    SETTLE_UNSENT = "SETTLE_UNSENT"


class Copy(StrEnum):
    """What becomes of the financier's copy (R17) of a delivered invoice."""

    NONE = "NONE"  # no copy, or it was handled already
    SEND = "SEND"
    # Sent again where that is safe: an attempt of unknown outcome is repeated, so a refusal of
    # this one leaves the copy as much in doubt as it was.
    REPEAT = "REPEAT"
    IN_DOUBT = "IN_DOUBT"  # it may have gone, and sending it (again) could deliver it twice
    NOT_SENT = "NOT_SENT"  # every attempt was refused without doubt (throttled), and none is to come


class Action(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Step
    channels: tuple[Channel, ...] = ()
    repeating: bool = False
    channel: Channel | None = None
    factoring_copy: Copy = Copy.NONE
    # SETTLE_SENT: the outbox object the invoice went out in, when that is what shows it delivered.
    transmission: str | None = None


def next_action(known: Known) -> Action:
    """R23: an invoice is never delivered twice nor by two channels, and what is said is known.

    - Delivered (the history's SENT, the attempt's delivered marker, or the outbox object its
      document was staged for exists): SENT; the copy is sent unless it was handled, or a stopped
      run was sending it where repeating is not safe. The last attempt decides what is said of a
      copy not sent: one cut off (the claim's marker) may have gone, in doubt; one refused without
      doubt (FACTORING_DEFERRED, the claim handed over without the marker) certainly did not, not
      sent.
    - An attempt staged for an outbox object that does not exist: nothing of it was delivered.
    - An attempt of unknown outcome: repeated on its own channel only, where that is safe and the
      plan still has the channel (never a staged one, whose object may yet be found); otherwise
      FAILED in doubt.
    - Otherwise the remaining channels in order, or nothing to send."""
    left, done = known.left, known.progress
    if left is not None and left.transmission is not None and left.transmitted is False:
        left = None
    delivered = done.delivered or (left.delivered if left is not None else None)
    transmission = None
    if delivered is None and left is not None and left.transmitted:
        delivered, transmission = left.channel, left.transmission
    if delivered is not None:
        copy = Copy.NONE
        if known.factoring_copy is not None and not done.follow_up_done:
            copy = _copy(known, left)
        return Action(
            step=Step.SETTLE_SENT, channel=delivered, factoring_copy=copy, transmission=transmission
        )
    if left is not None:
        repeatable = left.transmission is None and left.channel in known.repeat_safe
        if repeatable and left.channel in known.remaining:
            return Action(step=Step.SEND, channels=(left.channel,), repeating=True)
        return Action(step=Step.FAIL_IN_DOUBT, channel=left.channel)
    if not known.remaining:
        return Action(step=Step.SETTLE_UNSENT)
    return Action(step=Step.SEND, channels=known.remaining)


def _copy(known: Known, left: LeftAttempt | None) -> Copy:
    """The financier's copy of a delivered invoice, not yet handled (R17, R23)."""
    if left is not None and left.kind is DeliveryKind.FACTORING:  # cut off: it may have gone
        return Copy.REPEAT if known.sends and left.channel in known.repeat_safe else Copy.IN_DOUBT
    if known.sends:
        return Copy.SEND
    return Copy.IN_DOUBT if known.progress.copy_refused is None else Copy.NOT_SENT
