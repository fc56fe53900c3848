"""R23: what a run does with an attempt it finds unfinished, or whose outcome it does not know.

Pure verdicts; `autodispatch.logic.recovery` explains the whole design and carries them out.
"""

from enum import StrEnum

from autodispatch.models.enums import Channel


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
