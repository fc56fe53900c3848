"""R23 end to end: how a run makes sure no invoice is ever sent twice, whatever stops it.

Every other module that takes part points here instead of repeating it.

**Claims and their owner.** Each invocation of `BatchDispatcher` (one batch of one run) makes
a claimant token, `<run id>/<random>`, and claims each invoice with one conditional write
(`DispatchStore.claim`) before it sends anything. The claim records the attempt: which channel
and what is being sent, and when. Every later write of the invocation (`next_attempt`,
`settle`, `release`) requires the claim to be its own, so a duplicate invocation of the same
batch (Step Functions child executions are at least once) or an overlapping run cannot move the
invoice: its write is refused (`ConcurrentUpdate`) and it skips the invoice.

**Leases and take-over.** A claim carries a lease (`claimLeaseSeconds`, at least twice the
dispatch function's timeout). A run that died leaves its claim behind; once the lease has run
out, a later run (or the retried batch, R10) may claim the invoice. The claim returns the
attempt it replaced: the dead run's unfinished attempt, whose outcome nobody knows.

**One decision.** What happens next to an invoice is one pure function,
`autodispatch.rules.recovery.next_action`: it takes what is known (the plan's remaining
channels and its factoring copy, the progress read from the history, the attempt a stopped run
left on the claim, and which channels are safe to repeat) and returns the action; the dispatch
(`BatchDispatcher`) and the sweep of unfinished runs (`logic/unfinished.py`) only carry it out.
Which channels are safe to repeat is the route registry's statement (`models/routes.py`: a
channel is safe when every route of it is `repeat_safe`), passed in, never assumed by the decision:
- EINVOICE and PRINT carry a deterministic message id (the operator's Idempotency-Key, the key of
  a document's own outbox object), so sending again cannot deliver twice: an attempt of unknown outcome is
  repeated (SEND, `repeating`), on its own channel only. If that retry is rejected, the invoice
  ends FAILED in doubt: the first attempt may have delivered, so the chain must not move on.
- An EMAIL sent twice arrives twice: the invoice ends FAILED in doubt (`explain_in_doubt`), the
  user checks and sends it manually. This holds whatever the plan says now (IGNORED, another
  channel): a dead run may have sent it, so it never reads "nothing was sent".
The dispatch decides twice: on what the record says, and again on the attempt its claim
replaced (the record may be stale); if the two differ the outcome of that attempt is unknown.
A send that gets no clear answer (a server error or a timeout after the request went out) is
decided like an attempt a run left: FAILED in doubt where repeating is not safe
(`explain_no_clear_answer`); otherwise the attempt is handed over on the claim with its lease
ended (`OutcomeWriter.hand_over`), so the retried batch repeats it. A certain refusal
(throttling) gives the claim back (`release`); a throttled factoring copy, whose invoice went out,
is handed over as an invoice attempt (not the copy's) with the refusal recorded
(`FACTORING_DEFERRED`), so the retried batch settles the invoice SENT and sends the copy, and when no
retry is left the sweep says the copy was not sent (the service was busy), not in doubt. A refused
repeat of a copy a stopped run may have sent keeps the copy's attempt (the marker): still in doubt.

**Progress survives in the history.** Every step's events are written before the next step
(the claim, each next attempt, a release or hand-over). `rules.recovery.progress` reads them
back: a channel that rejected the invoice for good is never tried again (R12), and a SENT
event means the invoice went out. A confirmed send whose outcome write fails is handed over
with its SENT events (one more write), so the retry settles it SENT without sending again.

**The delivered marker.** A factoring invoice (R17) sends two messages. Before the financier's
copy goes, the invoice's SENT events are written with an attempt marked `delivered`, so a run
that dies now is known to have delivered the invoice: the next owner settles it SENT
(SETTLE_SENT) without sending it again, and sends the copy again only if its channel is safe to
repeat; otherwise it reports the copy as possibly unsent (`factoring_in_doubt`). A take-over
keeps the marker on its own claim. The sweep of an unfinished run sends nothing: an invoice it
finds delivered ends SENT with its copy, if not handled, reported in doubt; it is never FAILED
as "nothing was sent".

**Staged documents (S3 outbox transports).** On an S3 outbox transport a batch's e-invoices and
letters are not written one object each: each is staged in the invocation's memory and the batch
writes one transmission object per transport when its workers are done (`channels/transmission.py`,
`channels/transports.py`). Before anything is staged the claim (or the next attempt) names the
object the document will be in (`Attempt.transmission`, a key of the batch's run, batch and
invocation), so the truth of the attempt is one fact in S3: the object exists (the document went
out in it) or it does not (nothing of it left the process). Every owner after it looks
(`Deliverer.transmitted`, a listing of the key) and decides with `next_action`: SENT, its SENT event
naming `<key>#<message id>`, or sent afresh as if the attempt had never been; an object S3 cannot
tell about leaves the invoice handed back (never repeated on a key of its own, which could deliver
twice). Once the objects are written the staged invoices go on as after any delivery (their SENT
events, the delivered marker, the factoring copy, which is never staged, the outcome). An object S3
refuses delivered nothing: its invoices are handed over with the attempt and its key, and the
retried batch finds the object absent and sends them again (one that went through after all is found
and settled SENT). A batch's next try need not wait for the lease: the state machine names each try
(its execution and retry count, `BatchTry`), and a try may take over the claims an earlier try of
the same execution made for staged documents (`ended`); a retry starts only once the try before it
has ended, and a duplicate execution has another id, so a live try's claims are never taken. A try
that goes down before writing drops what it staged (`abandon`), so a warm process never writes it
later. SettleFailedBatch and the sweep look the same way (a staged document whose object is absent
was not sent: FAILED as unfinished, never in doubt).

**The notification claim.** A tenant's notification (R21) is claimed per run, tenant and kind
before it is sent (`autodispatch.logic.notification`); a send that certainly failed gives the
claim back, one that may have gone out keeps it, so a retried step never notifies twice.
"""

import hashlib
import uuid
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from autodispatch.models.text import Text
from autodispatch.store.port import RunRef


class BatchTry(BaseModel):
    """Which try of its batch an invocation is: the child execution that runs the batch and the
    task's retry count, as the state machine passes them (`$$.Execution.Id`,
    `$$.State.RetryCount`). A retry starts only once the try before it has ended (Step Functions
    retries a task after it failed; the task's timeout is above the function's)."""

    model_config = ConfigDict(frozen=True)

    execution: str
    retry: int = Field(ge=0)


@dataclass(frozen=True)
class Invocation:
    """One invocation's work on a run; the claimant owns every claim it makes. `ended`: the
    claimants of the earlier tries of the same batch in the same execution, which have ended."""

    run: RunRef
    claimant: str
    ended: tuple[str, ...] = ()


def new_invocation(run: RunRef, attempt: BatchTry | None = None) -> Invocation:
    """A claimant of its own; for a try of a batch, one its next tries can name (`ended`). A
    duplicate execution of the batch has another execution id, so it never names this one's."""
    if attempt is None:
        return Invocation(run=run, claimant=f"{run.run_id}/{uuid.uuid4().hex[:12]}")
    execution = hashlib.sha256(attempt.execution.encode()).hexdigest()[:12]
    claimants = [f"{run.run_id}/{execution}-{retry}" for retry in range(attempt.retry + 1)]
    return Invocation(run=run, claimant=claimants[-1], ended=tuple(claimants[:-1]))


def factoring_in_doubt(financier: str) -> Text:
    """R17, R23: a dead run was sending the financier's copy by a channel that is not idempotent."""
    return Text.of("factoring.in_doubt", financier=financier)
