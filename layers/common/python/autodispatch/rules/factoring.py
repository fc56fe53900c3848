"""R17: when an invoice needs a factoring message, and where it goes."""

from autodispatch.models.dispatch import FactoringRoute
from autodispatch.models.enums import Channel
from autodispatch.models.scenario import Invoice, Tenant


def factoring_route(invoice: Invoice, tenant: Tenant) -> FactoringRoute | None:
    """None unless the tenant has an agreement and the invoice is marked for factoring."""
    agreement = tenant.factoring
    if agreement is None or not invoice.factoring:
        return None
    channel = Channel.EINVOICE if agreement.einvoice_address is not None else Channel.EMAIL
    return FactoringRoute(agreement=agreement, channel=channel)
