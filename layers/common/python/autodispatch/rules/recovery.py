"""R23: what a run does with an attempt it finds unfinished, or whose outcome it does not know.

Pure verdicts; `autodispatch.logic.recovery` explains the whole design and carries them out.
"""

from collections.abc import Sequence
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import Channel, HistoryEventKind
from autodispatch.models.routes import channels_before

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
NOT_AGAIN_AFTER_EMAIL = "not tried again: the chain had gone on to the email"


class Recovery(StrEnum):
    # The channel dedupes by a deterministic message id: trying it again cannot deliver twice.
    REPEAT = "REPEAT"
    # The channel may have delivered and would deliver again: FAILED, never sent again.
    IN_DOUBT = "IN_DOUBT"
    # The invoice went out; only the financier's copy (R17) was unfinished.
    DELIVERED = "DELIVERED"


def unfinished_verdict(channel: Channel, delivered: Channel | None, repeatable: bool) -> Recovery:
    """The verdict on the attempt a dead run left on the invoice: the `channel` it was sending by,
    `delivered` when the invoice itself had already gone out (only its factoring copy was
    unfinished), and whether sending by `channel` again is safe (`repeatable`)."""
    if delivered is not None:
        return Recovery.DELIVERED
    return Recovery.REPEAT if repeatable else Recovery.IN_DOUBT


def transient_verdict(in_doubt: bool, repeatable: bool) -> Recovery:
    """The verdict on a send that failed with a temporary error: REPEAT gives the claim back for
    the retried batch; IN_DOUBT when the channel may have accepted it and would deliver again."""
    return Recovery.IN_DOUBT if in_doubt and not repeatable else Recovery.REPEAT


class Progress(BaseModel):
    """What earlier attempts of a pending invoice's automatic dispatch established, read from its
    history (each attempt's events are written before the next step): the channels that rejected
    it for good, the channel that delivered it, and whether its follow-up message was handled."""

    model_config = ConfigDict(frozen=True)

    rejected: dict[Channel, str] = {}
    delivered: Channel | None = None
    delivered_at: AwareDatetime | None = None
    follow_up_done: bool = False


def progress(history: Sequence[HistoryEvent]) -> Progress:
    starts = [i for i, event in enumerate(history) if event.event in _FRESH_START]
    current = history[starts[-1] + 1 :] if starts else history
    rejected: dict[Channel, str] = {}
    delivered: HistoryEvent | None = None
    for event in current:
        if event.event is HistoryEventKind.CHANNEL_REJECTED and event.channel is not None:
            rejected[event.channel] = event.detail or "rejected"
        elif event.event is HistoryEventKind.SENT and delivered is None:
            delivered = event
        elif event.event in _EMAIL_FAILED and delivered is not None and delivered.channel is Channel.EMAIL:
            # R12, R26: the chain goes on after EMAIL, never back to it or to a channel before it.
            for channel in channels_before(delivered.channel):
                rejected.setdefault(channel, NOT_AGAIN_AFTER_EMAIL)
            rejected[delivered.channel] = event.detail or "the email bounced"
            delivered = None
    return Progress(
        rejected=rejected,
        delivered=delivered.channel if delivered is not None else None,
        delivered_at=delivered.at if delivered is not None else None,
        follow_up_done=any(event.event in _FOLLOW_UP for event in current),
    )
