"""Builders for valid tenants and invoices (as scenario dicts and as models), with overrides.

Tests get them through the session-scoped `build` fixture of the unit and contract layers.
"""

import copy
from typing import Any
from zoneinfo import ZoneInfo

from autodispatch.models.scenario import Invoice, Settings, Tenant

HELSINKI = ZoneInfo("Europe/Helsinki")

# An override with this value removes the key from the built dict.
OMIT: Any = object()

ALL_SOURCES = ["CONTRACT_BILLING", "MANUAL", "REBILLING", "API"]
ALL_CHANNELS = ["EINVOICE", "EMAIL", "PRINT"]
CONSENT = {"address": "FI7944052020036082", "operator": "NDEAFIHH"}
VALID_RF_REFERENCE = "RF18539007547034"


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is OMIT:
            result.pop(key, None)
        else:
            result[key] = copy.deepcopy(value)
    return result


def address_dict(**overrides: Any) -> dict[str, Any]:
    base = {"street": ["Teollisuustie 3"], "postcode": "00510", "town": "Helsinki", "country": "FI"}
    return _apply(base, overrides)


def business_customer(**overrides: Any) -> dict[str, Any]:
    """A business customer every channel can use: e-invoice details, email and full address."""
    base = {
        "type": "BUSINESS",
        "name": "Rakennus Oy",
        "business_id": "0112038-9",
        "einvoice_address": "003701120389",
        "einvoice_operator": "003721291126",
        "email": "ostolaskut@rakennus.example",
        "address": address_dict(),
    }
    return _apply(base, overrides)


def consumer_customer(**overrides: Any) -> dict[str, Any]:
    """A consumer with email and full address but no e-invoice consent."""
    base = {
        "type": "CONSUMER",
        "name": "Matti Meikäläinen",
        "email": "matti@example.fi",
        "address": address_dict(street=["Kotikatu 7 B 12"], postcode="20100", town="Turku"),
    }
    return _apply(base, overrides)


def settings_dict(**overrides: Any) -> dict[str, Any]:
    base = {
        "active": True,
        "sources": list(ALL_SOURCES),
        "channels": list(ALL_CHANNELS),
        "timing": "CREATION_DATE",
        "notify_email": "laskutus@seller.example",
        "notify_phone": None,
        "consumer_einvoicing": True,
    }
    return _apply(base, overrides)


def tenant_dict(settings: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid active tenant; `settings` overrides individual settings keys."""
    base = {
        "tenant_id": "seller",
        "name": "Kahvila Aurinko Oy",
        "business_id": "2345678-0",
        "address": address_dict(street=["Aleksanterinkatu 5"], postcode="00100"),
        "iban": "FI4950009420028730",
        "bic": "OKOYFIHH",
        "einvoice_address": "003723456780",
        "einvoice_operator": "003721291126",
        "settings": settings_dict(**(settings or {})),
        "factoring": None,
    }
    return _apply(base, overrides)


def line_dict(**overrides: Any) -> dict[str, Any]:
    base = {"description": "Kahvitarjoilu", "quantity": "10", "unit_price": "4.50", "vat_rate": "25.5"}
    return _apply(base, overrides)


def invoice_dict(**overrides: Any) -> dict[str, Any]:
    """A valid unsent invoice of tenant `seller`, created 9.3.2026 13:00 Helsinki time."""
    base = {
        "tenant_id": "seller",
        "invoice_id": "inv-1",
        "number": "1001",
        "source": "MANUAL",
        "status": "UNSENT",
        "created_at": "2026-03-09T13:00:00+02:00",
        "invoice_date": "2026-03-09",
        "due_date": "2026-03-23",
        "delivery_channel": "EINVOICE",
        "reference": "1232",
        "currency": "EUR",
        "customer": business_customer(),
        "lines": [line_dict()],
    }
    return _apply(base, overrides)


def settings(**overrides: Any) -> Settings:
    return Settings.model_validate(settings_dict(**overrides))


def tenant(settings: dict[str, Any] | None = None, **overrides: Any) -> Tenant:
    return Tenant.model_validate(tenant_dict(settings, **overrides))


def invoice(**overrides: Any) -> Invoice:
    return Invoice.model_validate(invoice_dict(**overrides))


def scenario_dict(
    tenants: list[dict[str, Any]] | None = None, invoices: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "tenants": [tenant_dict()] if tenants is None else tenants,
        "invoices": [invoice_dict()] if invoices is None else invoices,
    }


class Builders:
    """The builders as one namespace: `build.invoice(delivery_channel="EMAIL")`."""

    OMIT = OMIT
    HELSINKI = HELSINKI
    CONSENT = CONSENT
    VALID_RF_REFERENCE = VALID_RF_REFERENCE
    address_dict = staticmethod(address_dict)
    business_customer = staticmethod(business_customer)
    consumer_customer = staticmethod(consumer_customer)
    settings_dict = staticmethod(settings_dict)
    tenant_dict = staticmethod(tenant_dict)
    line_dict = staticmethod(line_dict)
    invoice_dict = staticmethod(invoice_dict)
    scenario_dict = staticmethod(scenario_dict)
    settings = staticmethod(settings)
    tenant = staticmethod(tenant)
    invoice = staticmethod(invoice)
