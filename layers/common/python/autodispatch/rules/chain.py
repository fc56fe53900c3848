"""R11-R18: the channel chain as a pure decision.

The caller loops: `decide` names a channel to try; when that channel rejects the invoice for
good, the caller adds the rejection to `rejected` and asks again. Every decision carries the
reason for each channel considered, from which the messages of R19 are made.
"""

from collections.abc import Mapping

from autodispatch.models.dispatch import ChannelNote, Decision, Outcome, Verdict
from autodispatch.models.enums import CHAIN_ORDER, Channel, DeliveryKind, PaymentMethod
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.rules.usability import channel_unusable, einvoice_unusable, print_unusable

NO_REJECTIONS: Mapping[Channel, str] = {}


def decide(invoice: Invoice, tenant: Tenant, rejected: Mapping[Channel, str] = NO_REJECTIONS) -> Decision:
    """The next step for an invoice: SEND through a channel, or a final IGNORE or FAIL."""
    if invoice.payment_method is PaymentMethod.DIRECT_PAYMENT:
        return _decide_direct_payment(invoice, tenant, rejected)
    enabled = tenant.settings.channels
    own = invoice.delivery_channel
    if own not in enabled:
        # R11: nothing is sent; the reason names the channel and the setting.
        return Decision(
            outcome=Outcome.IGNORE,
            reason=f"the invoice's delivery channel {own} is not enabled in the automatic-dispatch settings",
            notes=(
                ChannelNote(channel=own, verdict=Verdict.NOT_ENABLED, reason="not enabled in the settings"),
            ),
        )
    notes: list[ChannelNote] = []
    for channel in CHAIN_ORDER[CHAIN_ORDER.index(own) :]:
        if channel not in enabled:
            # R12: fall back only to an enabled channel; otherwise the chain stops here.
            notes.append(
                ChannelNote(
                    channel=channel,
                    verdict=Verdict.NOT_ENABLED,
                    reason="not enabled in the settings, so the chain stops",
                )
            )
            break
        step = _judge(channel, invoice, tenant, rejected)
        if step.verdict is Verdict.CHOSEN:
            return Decision(outcome=Outcome.SEND, channel=channel, notes=(*notes, step))
        notes.append(step)
    return Decision(outcome=Outcome.FAIL, notes=tuple(notes), reason=_no_channel_reason(notes))


def _judge(
    channel: Channel, invoice: Invoice, tenant: Tenant, rejected: Mapping[Channel, str]
) -> ChannelNote:
    if channel in rejected:
        return ChannelNote(channel=channel, verdict=Verdict.REJECTED, reason=rejected[channel])
    reason = channel_unusable(channel, invoice, tenant)
    if reason is not None:
        return ChannelNote(channel=channel, verdict=Verdict.UNUSABLE, reason=reason)
    return ChannelNote(channel=channel, verdict=Verdict.CHOSEN, reason="the channel can be used")


def _no_channel_reason(notes: list[ChannelNote]) -> str:
    tried = ", ".join(note.channel.value for note in notes if note.verdict is not Verdict.NOT_ENABLED)
    return f"no channel could deliver the invoice (tried {tried})"


def _decide_direct_payment(invoice: Invoice, tenant: Tenant, rejected: Mapping[Channel, str]) -> Decision:
    """R18: the pre-notification goes by consumer e-invoice with a receiving consent, else by print;
    it is automatic only when both EINVOICE and PRINT are enabled."""
    enabled = tenant.settings.channels
    missing = [channel.value for channel in (Channel.EINVOICE, Channel.PRINT) if channel not in enabled]
    if missing:
        return Decision(
            outcome=Outcome.IGNORE,
            kind=DeliveryKind.DIRECT_PAYMENT_NOTICE,
            reason=(
                "a direct-payment invoice needs its pre-notification sent automatically, which needs both "
                f"EINVOICE and PRINT enabled in the settings ({' and '.join(missing)} not enabled)"
            ),
        )
    notes: list[ChannelNote] = []
    checks = (
        (Channel.EINVOICE, einvoice_unusable(invoice, tenant)),
        (Channel.PRINT, print_unusable(invoice)),
    )
    for channel, unusable in checks:
        if channel in rejected:
            notes.append(ChannelNote(channel=channel, verdict=Verdict.REJECTED, reason=rejected[channel]))
        elif unusable is not None:
            notes.append(ChannelNote(channel=channel, verdict=Verdict.UNUSABLE, reason=unusable))
        else:
            chosen = ChannelNote(channel=channel, verdict=Verdict.CHOSEN, reason="the channel can be used")
            return Decision(
                outcome=Outcome.SEND,
                channel=channel,
                kind=DeliveryKind.DIRECT_PAYMENT_NOTICE,
                notes=(*notes, chosen),
            )
    return Decision(
        outcome=Outcome.FAIL,
        kind=DeliveryKind.DIRECT_PAYMENT_NOTICE,
        notes=tuple(notes),
        reason="the direct-payment pre-notification could not be delivered by e-invoice or print",
    )
