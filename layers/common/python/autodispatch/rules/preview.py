"""R27: what the next night will do with a pending invoice, told before the night, so a user can
correct a customer's missing details in time. The same rules a run applies (R3-R18), pure."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from autodispatch.models.dispatch import DispatchRecord, Outcome
from autodispatch.models.enums import AutoDispatchState, InvoiceStatus
from autodispatch.models.report import Preview
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.models.text import Text, by_channel, on_date
from autodispatch.rules.chain import plan_dispatch
from autodispatch.rules.due import NotTaken, due_from, local_date
from autodispatch.rules.explain import explain_failed, explain_ignored
from autodispatch.rules.recovery import progress


def next_run_date(now: datetime, zone: ZoneInfo) -> date:
    """The night that comes next: the run at 00:05 of tomorrow, local time."""
    return local_date(now, zone) + timedelta(days=1)


def preview(
    invoice: Invoice, tenant: Tenant, record: DispatchRecord, next_run: date, zone: ZoneInfo
) -> Preview | None:
    """None unless the invoice is pending and unsent; otherwise the run that takes it and its outcome."""
    if record.state is not AutoDispatchState.PENDING or record.status is not InvoiceStatus.UNSENT:
        return None
    settings = tenant.settings
    if not settings.active:
        return _not_taken(NotTaken.TENANT_INACTIVE)
    if invoice.source not in settings.sources:
        # R3: said in words, with the source and the setting as the settings page names them.
        return _not_taken(
            NotTaken.SOURCE_NOT_ENABLED,
            source=Text.of(f"source.{invoice.source}"),
            setting=Text.of("setting.sources"),
        )
    run_date = max(next_run, local_date(due_from(invoice, settings.timing, zone), zone))
    decision = plan_dispatch(invoice, tenant).decision(progress(record.history).rejected)
    if decision.outcome is Outcome.SEND and decision.channel is not None:
        message = Text.of("preview.sends", date=on_date(run_date), by=by_channel(decision.channel))
    elif decision.outcome is Outcome.IGNORE:
        message = explain_ignored(decision).message
    else:
        message = explain_failed(decision).message
    return Preview(run_date=run_date, outcome=decision.outcome, channel=decision.channel, message=message)


def _not_taken(reason: NotTaken, **params: Text) -> Preview:
    message = Text.of("preview.not_taken", reason=Text.of(f"not_taken.{reason.name}", **params))
    return Preview(run_date=None, outcome=None, channel=None, message=message)
