"""A synthetic scenario of many tenants and invoices in the scenario format, derived from the
demo scenario so every record is valid and realistic."""

import copy
import json
from pathlib import Path
from typing import Any

DELIVERED = "success@simulator.amazonses.com"
DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo-scenario.json"


def synthetic_scenario(tenants: int = 50, invoices_per_tenant: int = 100) -> dict[str, Any]:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    template_tenant = demo["tenants"][0]
    # Invoices the demo tenant sends through each channel (e-invoice, email, print).
    templates = [
        invoice for invoice in demo["invoices"] if invoice["invoice_id"] in {"k-1001", "k-1003", "k-1004"}
    ]
    scenario: dict[str, Any] = {"tenants": [], "invoices": []}
    for tenant_number in range(tenants):
        tenant = copy.deepcopy(template_tenant)
        tenant["tenant_id"] = f"tenant-{tenant_number:03d}"
        tenant["factoring"] = None
        scenario["tenants"].append(tenant)
        for invoice_number in range(invoices_per_tenant):
            invoice = copy.deepcopy(templates[invoice_number % len(templates)])
            invoice["tenant_id"] = tenant["tenant_id"]
            invoice["invoice_id"] = f"inv-{invoice_number:05d}"
            invoice["number"] = str(10_000 + invoice_number)
            if invoice["customer"].get("email"):
                # SES's mailbox simulator: each email gets the delivery event a real one would (R26).
                invoice["customer"]["email"] = DELIVERED
            scenario["invoices"].append(invoice)
    return scenario
