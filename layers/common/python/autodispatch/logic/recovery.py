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

**Idempotent and in-doubt channels.** What the new owner does with an unfinished attempt is the
verdict of `autodispatch.rules.recovery.unfinished_verdict`:
- EINVOICE and PRINT carry a deterministic message id (the operator's Idempotency-Key, the
  outbox object key), so sending again cannot deliver twice: the attempt is REPEATed, on its
  own channel only. If that retry is rejected, the invoice ends FAILED in doubt: the first
  attempt may have delivered, so the chain must not move on to a second channel.
- An EMAIL sent twice arrives twice: the attempt is IN_DOUBT and the invoice ends FAILED with
  the explanation that it may or may not have reached the customer (`explain_in_doubt`); the
  user checks and sends it manually. This holds whatever the plan says now (IGNORED, another
  channel): a dead run may have sent it, so it never reads "nothing was sent".
While sending, `transient_verdict` decides: an EMAIL that got no clear answer (a server error
or a timeout after the request went out) ends FAILED in doubt, explained as such
(`explain_no_clear_answer`); a certain refusal (throttling) gives the claim back (`release`).
An idempotent channel without a clear answer is handed over instead: the attempt stays on the
claim with its lease ended (`OutcomeWriter.hand_over`), so the retried batch takes the
invoice at once and knows the outcome on that channel is unknown.

**Progress survives in the history.** Every step's events are written before the next step
(the claim, each next attempt, a release or hand-over). `rules.recovery.progress` reads them
back: a channel that rejected the invoice for good is never tried again (R12), and a SENT
event means the invoice went out. A confirmed send whose outcome write fails is handed over
with its SENT events (one more write), so the retry settles it SENT without sending again.

**The delivered marker.** A factoring invoice (R17) sends two messages. Before the financier's
copy goes, the invoice's SENT events are written with an attempt marked `delivered`, so a run
that dies now is known to have delivered the invoice: the next owner (verdict DELIVERED)
settles it SENT without sending it again, and sends the copy again only if that channel is
idempotent; otherwise it reports the copy as possibly unsent (`factoring_in_doubt`).

**The notification claim.** A tenant's notification (R21) is claimed per run, tenant and kind
before it is sent (`autodispatch.logic.notification`); a send that certainly failed gives the
claim back, one that may have gone out keeps it, so a retried step never notifies twice.
"""

import uuid
from dataclasses import dataclass

from autodispatch.models.text import Text
from autodispatch.store.port import RunRef


@dataclass(frozen=True)
class Invocation:
    """One invocation's work on a run; the claimant owns every claim it makes."""

    run: RunRef
    claimant: str


def new_invocation(run: RunRef) -> Invocation:
    return Invocation(run=run, claimant=f"{run.run_id}/{uuid.uuid4().hex[:12]}")


def factoring_in_doubt(financier: str) -> Text:
    """R17, R23: a dead run was sending the financier's copy by a channel that is not idempotent."""
    return Text.of("factoring.in_doubt", financier=financier)
