"""The renderers and validators the route table (`models/routes.py`) names, loaded on first use.

A renderer builds one route's document: bytes for a transport, or an `OutgoingEmail` for SES. A
validator checks a rendered document against the rules its network applies and raises
`RulesBroken` (a PermanentRejection: the route is unusable for this invoice, R12) naming each
broken rule. Both are imported when a document of their route is first built, and kept.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Protocol, cast

from autodispatch.models.enums import DeliveryKind
from autodispatch.models.routes import Route
from autodispatch.models.scenario import Factoring, Invoice, Tenant
from autodispatch.ses import OutgoingEmail


@dataclass(frozen=True)
class RenderRequest:
    """What a renderer needs besides the invoice and its seller: the deterministic message id, what
    is sent, the factoring agreement of a financier's copy (R17), and for an email its sender and
    the sending time."""

    message_id: str
    kind: DeliveryKind
    sender_email: str
    now: datetime
    factoring: Factoring | None = None

    def agreement(self) -> Factoring:
        """The factoring agreement a financier's copy is rendered with (R17)."""
        if self.factoring is None:
            raise ValueError("a financier's copy needs the factoring agreement")
        return self.factoring


class Renderer(Protocol):
    def __call__(self, invoice: Invoice, tenant: Tenant, request: RenderRequest) -> bytes | OutgoingEmail: ...


Validator = Callable[[bytes], None]


def _load(path: str) -> object:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@cache
def renderer(route: Route) -> Renderer:
    return cast(Renderer, _load(route.renderer))


@cache
def validator(route: Route) -> Validator | None:
    return cast(Validator, _load(route.validator)) if route.validator is not None else None
