"""R11-R18: the channel chain of one invoice as one plan.

`plan_dispatch` judges every channel once: the channels to try in order, with the reason for
each channel passed over and where the chain stops. The dispatch use case carries the plan out:
it tries the channels in turn, moves on when one rejects the invoice for good (R12) and asks the
plan for the explanation of the outcome (R16, R19). `decide` is the same plan as one decision
after a given set of rejections.
"""

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from autodispatch.models.dispatch import ChannelNote, Decision, FactoringRoute, Outcome, Verdict
from autodispatch.models.enums import CHAIN_ORDER, Channel, CustomerType, DeliveryKind, PaymentMethod
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.models.text import Text, channel_label, channel_name, listed
from autodispatch.rules.explain import (
    Explanation,
    explain_failed,
    explain_ignored,
    explain_sent,
)
from autodispatch.rules.factoring import factoring_route
from autodispatch.rules.usability import channel_unusable

NO_REJECTIONS: Mapping[Channel, Text] = {}
# R18: the direct-payment pre-notification goes by consumer e-invoice or by print, never email.
DIRECT_PAYMENT_CHANNELS = (Channel.EINVOICE, Channel.PRINT)
USABLE = Text.of("reason.usable")
# R18, R25: direct payment (e-invoice direct debit) is a consumer payment method.
DIRECT_PAYMENT_TO_BUSINESS = Text.of("reason.direct_payment_to_business")
CHANNELS_SETTING = Text.of("setting.channels")


class DispatchPlan(BaseModel):
    """What automatic dispatch does with one invoice (R11-R18).

    `judgements` are the channels considered, in chain order: CHOSEN for each channel to try,
    UNUSABLE for one passed over, NOT_ENABLED where the chain stops. `ignored` is set when
    nothing is sent at all (R11, R18); `invalid` when the invoice's data contradicts a rule, so
    no channel is tried and the invoice is FAILED with that reason (R18, R25).
    """

    model_config = ConfigDict(frozen=True)

    kind: DeliveryKind
    judgements: tuple[ChannelNote, ...] = ()
    ignored: Decision | None = None
    invalid: Decision | None = None
    # How a failed direct-payment pre-notification's reason begins; the channels' reasons follow (R16).
    failure_reason: Text | None = None
    factoring: FactoringRoute | None = None

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The channels to try, in order; empty when nothing is sent."""
        if self.ignored is not None or self.invalid is not None:
            return ()
        return tuple(note.channel for note in self.judgements if note.verdict is Verdict.CHOSEN)

    def remaining(self, rejected: Mapping[Channel, Text]) -> tuple[Channel, ...]:
        """The channels still to try after the given rejections (R12: never one that rejected)."""
        return tuple(channel for channel in self.channels if channel not in rejected)

    def reaching(self, channel: Channel) -> tuple[ChannelNote, ...]:
        """The judgements recorded when the chain reaches `channel`: the channels passed over since
        the previous channel tried, then `channel` itself."""
        end = next(i for i, note in enumerate(self.judgements) if note.channel is channel)
        start = max(
            (i + 1 for i, note in enumerate(self.judgements[:end]) if note.verdict is Verdict.CHOSEN),
            default=0,
        )
        return self.judgements[start : end + 1]

    def decision(self, rejected: Mapping[Channel, Text] = NO_REJECTIONS) -> Decision:
        """The next step after the given rejections: SEND through a channel, or a final IGNORE or FAIL."""
        if self.ignored is not None:
            return self.ignored
        if self.invalid is not None:
            return self.invalid
        notes: list[ChannelNote] = []
        for note in self.judgements:
            if note.verdict is not Verdict.NOT_ENABLED and note.channel in rejected:
                notes.append(
                    ChannelNote(
                        channel=note.channel,
                        verdict=Verdict.REJECTED,
                        reason=rejected[note.channel],
                        summary=Text.of("reason.rejected_by", channel=channel_name(note.channel)),
                    )
                )
            elif note.verdict is Verdict.CHOSEN:
                return Decision(
                    outcome=Outcome.SEND, channel=note.channel, kind=self.kind, notes=(*notes, note)
                )
            else:
                notes.append(note)
        return Decision(
            outcome=Outcome.FAIL,
            kind=self.kind,
            notes=tuple(notes),
            reason=_failure_reason(self.failure_reason, notes),
        )

    def unsent(self) -> Explanation:
        """Why nothing is sent at all: IGNORED (R11, R18) or FAILED with every channel's reason."""
        decision = self.decision()
        return explain_ignored(decision) if decision.outcome is Outcome.IGNORE else explain_failed(decision)

    def sent(self, channel: Channel, rejected: Mapping[Channel, Text]) -> Explanation:
        """R16: sent through `channel` after the channels before it rejected the invoice."""
        decision = self.decision(rejected)
        if decision.channel is not channel:
            # A dead run's attempt repeated out of the plan's order (R23): its steps are not known.
            return self.sent_by_dead_run(channel)
        return explain_sent(channel, self.kind, decision.notes)

    def sent_by_dead_run(self, channel: Channel) -> Explanation:
        """R23: a run that stopped after delivering by `channel`; the steps it took are not known."""
        return explain_sent(channel, self.kind, ())

    def failed(self, rejected: Mapping[Channel, Text]) -> Explanation:
        """R12, R16: every channel tried rejected the invoice, or the chain stopped."""
        return explain_failed(self.decision(rejected))


def delivery_kind(invoice: Invoice) -> DeliveryKind:
    """What goes out for the invoice: the invoice itself, or its direct-payment pre-notification."""
    if invoice.payment_method is PaymentMethod.DIRECT_PAYMENT:
        return DeliveryKind.DIRECT_PAYMENT_NOTICE
    return DeliveryKind.INVOICE


def plan_dispatch(invoice: Invoice, tenant: Tenant) -> DispatchPlan:
    """R18 before R11: a direct-payment invoice goes as its pre-notification by the channels R18
    names, whatever its own channel; a direct-payment invoice to a business is bad data and FAILED
    before any setting is looked at. Then R11 (own channel enabled) and the chain (R12-R15)."""
    route = factoring_route(invoice, tenant)
    if delivery_kind(invoice) is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        return _plan_direct_payment(invoice, tenant, route)
    enabled = tenant.settings.channels
    own = invoice.delivery_channel
    if own not in enabled:
        # R11: nothing is sent; the reason names the channel and the setting.
        ignored = Decision(
            outcome=Outcome.IGNORE,
            reason=Text.of(
                "reason.own_channel_not_enabled", channel=channel_label(own), setting=CHANNELS_SETTING
            ),
            notes=(
                ChannelNote(
                    channel=own,
                    verdict=Verdict.NOT_ENABLED,
                    reason=Text.of("reason.not_enabled", setting=CHANNELS_SETTING),
                ),
            ),
        )
        return DispatchPlan(kind=DeliveryKind.INVOICE, ignored=ignored, factoring=route)
    judgements: list[ChannelNote] = []
    for channel in CHAIN_ORDER[CHAIN_ORDER.index(own) :]:
        if channel not in enabled:
            # R12: fall back only to an enabled channel; otherwise the chain stops here.
            judgements.append(
                ChannelNote(
                    channel=channel,
                    verdict=Verdict.NOT_ENABLED,
                    reason=Text.of("reason.chain_stops", setting=CHANNELS_SETTING),
                )
            )
            break
        judgements.append(_judge(channel, invoice, tenant))
    return DispatchPlan(kind=DeliveryKind.INVOICE, judgements=tuple(judgements), factoring=route)


def decide(invoice: Invoice, tenant: Tenant, rejected: Mapping[Channel, Text] = NO_REJECTIONS) -> Decision:
    """The next step for an invoice after the given rejections (the plan as one decision)."""
    return plan_dispatch(invoice, tenant).decision(rejected)


def chosen_channel_refusal(invoice: Invoice, tenant: Tenant, channel: Channel) -> Text | None:
    """R22 with a channel the user chose: it need not be enabled in the settings, but it must be
    usable for the invoice (R13-R15) and fit what is sent (R18). None when it can be used."""
    if delivery_kind(invoice) is DeliveryKind.DIRECT_PAYMENT_NOTICE:
        if invoice.customer.type is CustomerType.BUSINESS:
            return DIRECT_PAYMENT_TO_BUSINESS
        if channel not in DIRECT_PAYMENT_CHANNELS:
            return Text.of("reason.direct_payment_channel")
    problem = channel_unusable(channel, invoice, tenant)
    return problem.reason if problem is not None else None


def _judge(channel: Channel, invoice: Invoice, tenant: Tenant) -> ChannelNote:
    problem = channel_unusable(channel, invoice, tenant)
    if problem is not None:
        return ChannelNote(
            channel=channel, verdict=Verdict.UNUSABLE, reason=problem.reason, summary=problem.summary
        )
    return ChannelNote(channel=channel, verdict=Verdict.CHOSEN, reason=USABLE)


def _failure_reason(lead: Text | None, notes: list[ChannelNote]) -> Text:
    """R16: the one-line reason of a FAILED invoice names why each channel tried could not be used
    ("no email address and incomplete postal address") and where the chain stopped; the details
    keep every channel's full reason."""
    summaries = [note.summary or note.reason for note in notes if note.verdict is not Verdict.NOT_ENABLED]
    unique = tuple(summary for i, summary in enumerate(summaries) if summary not in summaries[:i])
    reason = listed(unique) if unique else Text.of("failed.default")
    stopped = [note.channel for note in notes if note.verdict is Verdict.NOT_ENABLED]
    if stopped:
        reason = Text.of("failed.stopped", reasons=reason, channel=channel_name(stopped[0]))
    return Text.of("failed.lead", lead=lead, reason=reason) if lead else reason


def _plan_direct_payment(invoice: Invoice, tenant: Tenant, route: FactoringRoute | None) -> DispatchPlan:
    """R18: the pre-notification goes by consumer e-invoice with a receiving consent, else by print.
    With consumer e-invoicing it is automatic only when both EINVOICE and PRINT are enabled; without
    it, it goes by print service, which must be enabled."""
    kind = DeliveryKind.DIRECT_PAYMENT_NOTICE
    if invoice.customer.type is CustomerType.BUSINESS:
        invalid = Decision(outcome=Outcome.FAIL, kind=kind, reason=DIRECT_PAYMENT_TO_BUSINESS)
        return DispatchPlan(kind=kind, invalid=invalid, factoring=route)
    settings = tenant.settings
    channels = DIRECT_PAYMENT_CHANNELS if settings.consumer_einvoicing else (Channel.PRINT,)
    missing = tuple(channel for channel in channels if channel not in settings.channels)
    if missing:
        labels = {"einvoice": channel_label(Channel.EINVOICE), "print": channel_label(Channel.PRINT)}
        reason = (
            Text.of(
                "reason.direct_payment_needs_both",
                **labels,
                setting=CHANNELS_SETTING,
                missing=listed(tuple(channel_label(channel) for channel in missing)),
            )
            if settings.consumer_einvoicing
            else Text.of("reason.direct_payment_needs_print", print=labels["print"], setting=CHANNELS_SETTING)
        )
        ignored = Decision(outcome=Outcome.IGNORE, kind=kind, reason=reason)
        return DispatchPlan(kind=kind, ignored=ignored, factoring=route)
    return DispatchPlan(
        kind=kind,
        judgements=tuple(_judge(channel, invoice, tenant) for channel in channels),
        failure_reason=Text.of("reason.direct_payment_undelivered"),
        factoring=route,
    )
