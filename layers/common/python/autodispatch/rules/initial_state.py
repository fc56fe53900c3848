"""R2, R5, R20: where automatic dispatch of an imported invoice starts."""

from zoneinfo import ZoneInfo

from autodispatch.models.dispatch import InitialState
from autodispatch.models.enums import AutoDispatchState, InvoiceStatus
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.rules.activation import auto_dispatch_default
from autodispatch.rules.due import due_from
from autodispatch.rules.messages import BEFORE_ACTIVATION_MESSAGE, IMPORTED_SENT_MESSAGE, TURNED_OFF_MESSAGE


def initial_state(invoice: Invoice, tenant: Tenant, zone: ZoneInfo) -> InitialState:
    """SENT when imported as sent (R5); REMOVED when turned off on the invoice (R20) or created
    before the tenant's activation without being turned on (R2); otherwise PENDING.

    Every unsent invoice carries its due instant (R6, R7): a re-import of one that is pending
    moves it there whatever the new document says about automatic dispatch.
    """
    if invoice.status is InvoiceStatus.SENT:
        return InitialState(state=AutoDispatchState.SENT, message=IMPORTED_SENT_MESSAGE)
    due = due_from(invoice, tenant.settings.timing, zone)
    if invoice.auto_dispatch is False:
        return InitialState(state=AutoDispatchState.REMOVED, message=TURNED_OFF_MESSAGE, due_from=due)
    if invoice.auto_dispatch is None and not auto_dispatch_default(tenant.settings, invoice.created_at):
        return InitialState(state=AutoDispatchState.REMOVED, message=BEFORE_ACTIVATION_MESSAGE, due_from=due)
    return InitialState(state=AutoDispatchState.PENDING, due_from=due)
