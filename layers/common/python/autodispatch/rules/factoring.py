"""R17: when an invoice needs a factoring message, and where it goes."""

from pydantic import BaseModel, ConfigDict

from autodispatch.models.enums import Channel
from autodispatch.models.scenario import Factoring, Invoice, Tenant


class FactoringRoute(BaseModel):
    """The financier's destination: an e-invoice address (preferred) or an email address."""

    model_config = ConfigDict(frozen=True)

    agreement: Factoring
    channel: Channel


def factoring_route(invoice: Invoice, tenant: Tenant) -> FactoringRoute | None:
    """None unless the tenant has an agreement and the invoice is marked for factoring."""
    agreement = tenant.factoring
    if agreement is None or not invoice.factoring:
        return None
    channel = Channel.EINVOICE if agreement.einvoice_address is not None else Channel.EMAIL
    return FactoringRoute(agreement=agreement, channel=channel)
