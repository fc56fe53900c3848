"""The delivery routes: every way a document leaves, described once (R4, R12-R15, R23).

A channel of the guide (EINVOICE, EMAIL, PRINT) has one or more routes; EINVOICE has two, chosen by
the receiver's e-invoice address: Finvoice 3.0 to an OVT/operator address or a consumer's bank,
Peppol BIS Billing 3.0 to a Peppol participant id (`0216:003712345678`). The chain (rules/chain.py),
the deliverer (channels/deliverer.py), R23 recovery, the run report, the CDK settings and the API's
enums read this table; adding a route is one `Route` here plus its renderer.

Renderers and validators are named by import path ("module:function") and loaded only when a
document is built (`channels/registry.py`), so the pure rules and the select/notify functions that
read this table never import the PDF stack or the Peppol rules.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from autodispatch.models.enums import CHAIN_ORDER, Channel, CustomerType, DeliveryKind
from autodispatch.models.fields import PEPPOL_PARTICIPANT
from autodispatch.models.scenario import Factoring, Invoice


class RouteName(StrEnum):
    FINVOICE = "FINVOICE"
    PEPPOL = "PEPPOL"
    EMAIL = "EMAIL"
    PRINT = "PRINT"


@dataclass(frozen=True)
class Route:
    """One delivery route.

    `transport` names the transport the deployment configures for the route (`<name>Transport`,
    `<name>Endpoint`, `<name>SecretName` in the CDK settings; `email` is SES). `repeat_safe` is
    whether handing the same document over again cannot deliver it twice (a deterministic message
    id the transport dedupes by): R23 repeats an unfinished attempt only on such a route.
    `addresses` is the shape of e-invoice address the route serves, None for the channel's
    default route. `label` is the route's name in English, the message id of its catalogue message
    `label_code` (a reader sees it in their language, e.g. in an invoice's history).
    """

    name: RouteName
    channel: Channel
    label: str
    extension: str
    content_type: str
    transport: str
    transport_label: str
    repeat_safe: bool
    renderer: str
    validator: str | None = None
    addresses: re.Pattern[str] | None = None

    @property
    def label_code(self) -> str:
        return f"route.{self.name}"


ROUTES: tuple[Route, ...] = (
    Route(
        name=RouteName.PEPPOL,
        channel=Channel.EINVOICE,
        label="Peppol BIS Billing 3.0",
        extension="xml",
        content_type="application/xml",
        transport="peppol",
        transport_label="Peppol access point",
        repeat_safe=True,  # the access point dedupes by the message id (Idempotency-Key, outbox key)
        renderer="autodispatch.channels.peppol:render_peppol",
        validator="autodispatch.channels.peppol_rules:validate_peppol",
        addresses=PEPPOL_PARTICIPANT,
    ),
    Route(
        name=RouteName.FINVOICE,
        channel=Channel.EINVOICE,
        label="Finvoice 3.0",
        extension="xml",
        content_type="application/xml",
        transport="einvoice",
        transport_label="e-invoice operator",
        repeat_safe=True,  # the operator dedupes by MessageIdentifier (Idempotency-Key, outbox key)
        renderer="autodispatch.channels.finvoice:render_finvoice_document",
        validator="autodispatch.channels.finvoice_rules:validate_finvoice",
    ),
    Route(
        name=RouteName.EMAIL,
        channel=Channel.EMAIL,
        label="email",
        extension="eml",
        content_type="message/rfc822",
        transport="email",
        transport_label="email service",
        repeat_safe=False,  # an email sent twice arrives twice
        renderer="autodispatch.channels.documents:render_email_document",
    ),
    Route(
        name=RouteName.PRINT,
        channel=Channel.PRINT,
        label="print letter",
        extension="pdf",
        content_type="application/pdf",
        transport="print",
        transport_label="print service",
        repeat_safe=True,  # the print service dedupes by the message id
        renderer="autodispatch.channels.documents:render_letter_document",
    ),
)

ROUTES_BY_NAME: dict[RouteName, Route] = {route.name: route for route in ROUTES}
# The transports a deployment configures, once each, in the table's order (SES is not configured).
CONFIGURED_TRANSPORTS: tuple[str, ...] = tuple(
    dict.fromkeys(route.transport for route in ROUTES if route.transport != "email")
)


def channel_routes(channel: Channel) -> tuple[Route, ...]:
    return tuple(route for route in ROUTES if route.channel is channel)


def repeat_safe(channel: Channel) -> bool:
    """R23: an attempt records its channel, not its route, so repeating it is safe only when every
    route of the channel is."""
    return all(route.repeat_safe for route in channel_routes(channel))


def channels_before(channel: Channel) -> tuple[Channel, ...]:
    """The channels the chain tries before `channel` (R12: never gone back to)."""
    return CHAIN_ORDER[: CHAIN_ORDER.index(channel)]


def einvoice_destination(invoice: Invoice, kind: DeliveryKind, factoring: Factoring | None) -> str | None:
    """The e-invoice address the document goes to: the financier's for a factoring copy, the
    consumer's bank consent's, or the business customer's own."""
    if kind is DeliveryKind.FACTORING:
        return factoring.einvoice_address if factoring is not None else None
    customer = invoice.customer
    if customer.type is CustomerType.CONSUMER:
        return customer.einvoice_consent.address if customer.einvoice_consent is not None else None
    return customer.einvoice_address


def route_for(
    channel: Channel,
    invoice: Invoice,
    kind: DeliveryKind = DeliveryKind.INVOICE,
    factoring: Factoring | None = None,
) -> Route:
    """The route of `channel` that serves this document: the first whose address shape matches the
    destination, else the channel's default route."""
    routes = channel_routes(channel)
    destination = einvoice_destination(invoice, kind, factoring) if channel is Channel.EINVOICE else None
    address = (destination or "").strip()
    for route in routes:
        if route.addresses is not None and route.addresses.fullmatch(address):
            return route
    return next(route for route in routes if route.addresses is None)
