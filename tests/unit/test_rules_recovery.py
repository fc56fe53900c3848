"""R23 as one decision (`rules.recovery.next_action`), property-tested over every history the
channel chain can leave behind: rejections, a delivery, an attempt cut off at any point (a crash,
a send with no clear answer, a failed outcome write), the factoring copy (R17) and its marker, a
bounced email that reopens the chain (R26) and a user's fresh start. Each generated history comes
with the truth of what happened; the decision must never deliver twice, never move to a second
channel after an attempt that may have delivered, and never say less than is known."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import CHAIN_ORDER, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.text import Text
from autodispatch.rules.recovery import Copy, Known, LeftAttempt, Step, next_action, progress

EINVOICE, EMAIL, PRINT = Channel.EINVOICE, Channel.EMAIL, Channel.PRINT
T0 = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)


@dataclass
class Truth:
    """What really happened, and the store as it was left."""

    history: list[HistoryEvent] = field(default_factory=list)
    left: LeftAttempt | None = None
    delivered: Channel | None = None
    maybe_delivered: Channel | None = None  # an attempt cut off: it may have reached the customer
    copy_unknown: bool = False  # the copy may or may not have gone out
    copy_refused: bool = False  # every attempt at the copy was refused without doubt (throttled)
    copy_handled: bool = False
    after_bounce: bool = False

    def add(self, kind: HistoryEventKind, channel: Channel | None = None) -> None:
        self.history.append(
            HistoryEvent(
                at=T0 + timedelta(seconds=len(self.history)), event=kind, channel=channel, detail="x"
            )
        )


@st.composite
def chains(draw: st.DrawFn) -> tuple[tuple[Channel, ...], Channel | None, frozenset[Channel], Truth]:
    plan = tuple(channel for channel in CHAIN_ORDER if draw(st.booleans()))
    copy = draw(st.sampled_from([None, EINVOICE, EMAIL]))
    repeat_safe = draw(st.frozensets(st.sampled_from(list(Channel))))
    truth = Truth()
    if draw(st.booleans()):
        # Progress from before the user's own action counts for nothing (a fresh start).
        truth.add(HistoryEventKind.CHANNEL_REJECTED, draw(st.sampled_from(list(Channel))))
        truth.add(HistoryEventKind.SENT, draw(st.sampled_from(list(Channel))))
        truth.add(
            draw(st.sampled_from([HistoryEventKind.RESTORED_BY_USER, HistoryEventKind.REMOVED_BY_USER]))
        )
    for channel in plan:
        if truth.after_bounce and CHAIN_ORDER.index(channel) <= CHAIN_ORDER.index(EMAIL):
            continue  # R12, R26: the chain goes on after the bounced email
        answer = draw(st.sampled_from(["reject", "deliver", "cut off", "released"]))
        if answer == "reject":
            truth.add(HistoryEventKind.CHANNEL_REJECTED, channel)
            continue
        if answer == "released":  # certainly not sent (throttled): the claim was given back
            return plan, copy, repeat_safe, truth
        if answer == "cut off":  # the attempt is on the claim; its outcome is unknown
            truth.left = LeftAttempt(channel=channel)
            truth.maybe_delivered = channel
            return plan, copy, repeat_safe, truth
        truth.add(HistoryEventKind.SENT, channel)
        truth.delivered = channel
        if copy is not None:
            marker = LeftAttempt(channel=copy, kind=DeliveryKind.FACTORING, delivered=channel)
            for _ in range(draw(st.integers(min_value=1, max_value=3))):
                # The delivered marker is on the claim (written with the SENT events, or by the
                # retried batch's claim) before the copy goes.
                truth.left = marker
                ending = draw(st.sampled_from(["cut off", "refused", "handled, outcome write lost"]))
                if ending == "cut off":
                    truth.copy_unknown, truth.copy_refused = True, False
                elif ending == "refused":
                    # Throttled (FACTORING_DEFERRED), handed over to the batch's retry: as an attempt of
                    # the invoice, unless it repeated a copy that may have gone (the marker stays).
                    truth.add(HistoryEventKind.FACTORING_DEFERRED, copy)
                    truth.copy_refused = not truth.copy_unknown
                    truth.left = marker if truth.copy_unknown else LeftAttempt(channel=channel)
                else:
                    # The copy's event went with the failed settle into the hand-over (no marker).
                    truth.add(
                        draw(
                            st.sampled_from(
                                [HistoryEventKind.FACTORING_SENT, HistoryEventKind.FACTORING_FAILED]
                            )
                        )
                    )
                    truth.left = LeftAttempt(channel=channel)
                    truth.copy_handled, truth.copy_unknown, truth.copy_refused = True, False, False
                    break
            return plan, copy, repeat_safe, truth
        if channel is EMAIL and draw(st.booleans()):
            truth.add(HistoryEventKind.EMAIL_BOUNCED, EMAIL)  # R26: reopened, the chain goes on
            truth.delivered, truth.after_bounce = None, True
            continue
        truth.left = draw(st.sampled_from([None, LeftAttempt(channel=channel)]))  # outcome write lost
        return plan, copy, repeat_safe, truth
    return plan, copy, repeat_safe, truth


def known(plan: tuple[Channel, ...], copy: Channel | None, safe: frozenset[Channel], truth: Truth) -> Known:
    done = progress(truth.history)
    remaining = tuple(channel for channel in plan if channel not in done.rejected)
    return Known(remaining=remaining, factoring_copy=copy, progress=done, left=truth.left, repeat_safe=safe)


@settings(max_examples=600, deadline=None)
@given(chains())
def test_r23_the_next_action_never_delivers_twice_and_says_only_what_is_known(
    chain: tuple[tuple[Channel, ...], Channel | None, frozenset[Channel], Truth],
) -> None:
    plan, copy, safe, truth = chain
    action = next_action(known(plan, copy, safe, truth))
    if truth.delivered is not None:
        assert (action.step, action.channel) == (Step.SETTLE_SENT, truth.delivered)
        if truth.copy_unknown:
            # Reported (never silently dropped), and sent again only where that is harmless.
            assert action.factoring_copy is (Copy.REPEAT if copy in safe else Copy.IN_DOUBT)
        elif truth.copy_handled or copy is None:
            assert action.factoring_copy is Copy.NONE
        else:
            assert action.factoring_copy is Copy.SEND
        return
    if truth.maybe_delivered is not None:
        cut_off = truth.maybe_delivered
        if cut_off in safe:
            assert action == next_action(known(plan, copy, safe, truth))  # deterministic
            assert (action.step, action.channels, action.repeating) == (Step.SEND, (cut_off,), True)
        else:
            assert (action.step, action.channel) == (Step.FAIL_IN_DOUBT, cut_off)
        return
    rejected = progress(truth.history).rejected
    still = tuple(channel for channel in plan if channel not in rejected)
    if still:
        assert (action.step, action.channels, action.repeating) == (Step.SEND, still, False)
    else:
        assert action.step is Step.SETTLE_UNSENT


@settings(max_examples=300, deadline=None)
@given(chains())
def test_r24_the_sweep_of_an_unfinished_run_never_sends_and_never_hides_a_delivery(
    chain: tuple[tuple[Channel, ...], Channel | None, frozenset[Channel], Truth],
) -> None:
    """The sweep decides with no channel safe to repeat and sending nothing, from the record's view
    of the claim: the invoice's unfinished attempt, or the delivered marker (the copy's attempt)."""
    plan, copy, _, truth = chain
    left = truth.left
    truth.left = left if left is None or left.delivered is not None else LeftAttempt(channel=left.channel)
    done = progress(truth.history)
    remaining = tuple(channel for channel in plan if channel not in done.rejected)
    action = next_action(
        Known(remaining=remaining, factoring_copy=copy, progress=done, left=truth.left, sends=False)
    )
    assert not (action.step is Step.SEND and action.repeating)
    if truth.delivered is not None:
        assert (action.step, action.channel) == (Step.SETTLE_SENT, truth.delivered)
        if truth.copy_unknown:
            assert action.factoring_copy is Copy.IN_DOUBT
        elif truth.copy_refused:
            assert action.factoring_copy is Copy.NOT_SENT  # every attempt refused: certainly not sent
        elif truth.copy_handled or copy is None:
            assert action.factoring_copy is Copy.NONE
    elif truth.maybe_delivered is not None:
        assert (action.step, action.channel) == (Step.FAIL_IN_DOUBT, truth.maybe_delivered)
    else:
        assert action.step in {Step.SEND, Step.SETTLE_UNSENT}  # nothing was sent: said so


# Issue 21: the financier's copy of a delivered invoice, throttled. The claim tells whether the last
# attempt may have gone (the delivered marker) or was handed over refused (the invoice's attempt).
BUSY = Text.of("reason.email_throttled", error="Throttling")
AFTER_REFUSAL = LeftAttempt(channel=EINVOICE)  # handed over without the marker
COPY_CUT_OFF = LeftAttempt(channel=EMAIL, kind=DeliveryKind.FACTORING, delivered=EINVOICE)


def _copy_after(
    left: LeftAttempt, *copy_events: HistoryEventKind, sends: bool, copy: Channel = EMAIL
) -> Copy:
    history = [HistoryEvent(at=T0, event=HistoryEventKind.SENT, channel=EINVOICE)]
    history += [
        HistoryEvent(at=T0 + timedelta(seconds=n + 1), event=kind, channel=copy, detail=BUSY)
        for n, kind in enumerate(copy_events)
    ]
    action = next_action(
        Known(
            remaining=(EINVOICE,),
            factoring_copy=copy,
            progress=progress(history),
            left=left.model_copy(update={"channel": copy}) if left.delivered else left,
            repeat_safe=frozenset({EINVOICE, PRINT}) if sends else frozenset(),
            sends=sends,
        )
    )
    assert (action.step, action.channel) == (Step.SETTLE_SENT, EINVOICE)  # the customer got it
    return action.factoring_copy


def test_r17_r23_a_copy_refused_on_every_attempt_is_not_sent_and_keeps_the_last_reason() -> None:
    deferred = HistoryEventKind.FACTORING_DEFERRED
    assert _copy_after(AFTER_REFUSAL, deferred, deferred, deferred, sends=False) is Copy.NOT_SENT
    assert _copy_after(AFTER_REFUSAL, deferred, sends=True) is Copy.SEND  # the retried batch sends it
    history = [
        HistoryEvent(at=T0, event=HistoryEventKind.SENT, channel=EINVOICE),
        HistoryEvent(
            at=T0, event=deferred, channel=EMAIL, detail=Text.of("reason.email_throttled", error="A")
        ),
        HistoryEvent(at=T0, event=deferred, channel=EMAIL, detail=BUSY),
    ]
    assert progress(history).copy_refused == BUSY


def test_r17_r23_a_refused_copy_whose_next_attempt_was_cut_off_is_in_doubt() -> None:
    """The last attempt decides: after a refusal, a retry that stopped while sending may have sent it."""
    deferred = HistoryEventKind.FACTORING_DEFERRED
    assert _copy_after(COPY_CUT_OFF, deferred, sends=False) is Copy.IN_DOUBT
    assert _copy_after(COPY_CUT_OFF, deferred, sends=True) is Copy.IN_DOUBT  # email: never twice
    assert _copy_after(COPY_CUT_OFF, deferred, sends=True, copy=EINVOICE) is Copy.REPEAT


def test_r17_r23_a_copy_in_doubt_stays_in_doubt_when_its_repeat_is_refused() -> None:
    """A copy cut off by a crash, repeated where that is safe (the operator's idempotency key), and
    the repeat throttled: the first attempt may still have reached the financier, so the hand-over
    keeps the marker and the copy is in doubt, never "not sent" (that would invite a second copy)."""
    deferred = HistoryEventKind.FACTORING_DEFERRED
    assert _copy_after(COPY_CUT_OFF, deferred, deferred, sends=False, copy=EINVOICE) is Copy.IN_DOUBT
    assert _copy_after(COPY_CUT_OFF, deferred, sends=True, copy=EINVOICE) is Copy.REPEAT
    # Refused once, then handled (sent or failed with its reason): nothing left to say of it.
    handled = (deferred, HistoryEventKind.FACTORING_SENT)
    assert _copy_after(AFTER_REFUSAL, *handled, sends=False) is Copy.NONE


# R23 for a document staged for an S3 outbox object (a transmission file written once per batch
# attempt): the object's existence is the whole truth of the attempt.
STAGED_IN = "outbox/einvoice/night/batch/try-1.xml"
SAFE = frozenset({Channel.EINVOICE, Channel.PRINT})


def test_r23_a_staged_attempt_whose_object_exists_was_delivered() -> None:
    left = LeftAttempt(channel=Channel.EINVOICE, transmission=STAGED_IN, transmitted=True)
    action = next_action(Known(remaining=(Channel.EINVOICE, Channel.EMAIL), left=left, repeat_safe=SAFE))
    assert (action.step, action.channel, action.transmission) == (
        Step.SETTLE_SENT,
        Channel.EINVOICE,
        STAGED_IN,
    )


def test_r23_a_staged_attempt_whose_object_exists_still_sends_the_factoring_copy() -> None:
    left = LeftAttempt(channel=Channel.PRINT, transmission=STAGED_IN, transmitted=True)
    known = Known(remaining=(Channel.PRINT,), factoring_copy=Channel.EMAIL, left=left, repeat_safe=SAFE)
    assert next_action(known).factoring_copy is Copy.SEND


def test_r23_a_staged_attempt_whose_object_does_not_exist_was_not_sent_and_goes_again() -> None:
    """Not a repeat of an attempt of unknown outcome: the chain starts afresh (a rejection there
    moves on), and on a channel where repeating would not be safe too."""
    left = LeftAttempt(channel=Channel.EINVOICE, transmission=STAGED_IN, transmitted=False)
    for safe in (SAFE, frozenset()):
        action = next_action(Known(remaining=(Channel.EINVOICE, Channel.EMAIL), left=left, repeat_safe=safe))
        assert (action.step, action.channels, action.repeating) == (
            Step.SEND,
            (Channel.EINVOICE, Channel.EMAIL),
            False,
        )
    gone = Known(remaining=(), left=left, repeat_safe=SAFE)  # nothing left to send: nothing was sent
    assert next_action(gone).step is Step.SETTLE_UNSENT


def test_r23_a_staged_attempt_whose_object_is_not_known_is_never_repeated() -> None:
    """A repeat would go out on its own key while the staged object may yet be found: twice."""
    left = LeftAttempt(channel=Channel.EINVOICE, transmission=STAGED_IN, transmitted=None)
    action = next_action(Known(remaining=(Channel.EINVOICE,), left=left, repeat_safe=SAFE))
    assert (action.step, action.channel) == (Step.FAIL_IN_DOUBT, Channel.EINVOICE)
