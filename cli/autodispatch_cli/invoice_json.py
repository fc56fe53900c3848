"""The invoice object of the run report (SCENARIO-FORMAT.md): one shape for every script that reads
invoices, from `local run --json` and from the operator commands."""

from typing import Any

from autodispatch.models.dispatch import DispatchRecord


def invoice_entry(record: DispatchRecord) -> dict[str, Any]:
    """One `invoices` entry of the run report (also the CLI's --json invoice shape)."""
    return {
        "tenant_id": record.tenant_id,
        "invoice_id": record.invoice_id,
        "status": record.status.value,
        "auto_dispatch": record.state.value,
        "channel": record.channel.value if record.channel else None,
        "sent_on": record.sent_on.isoformat() if record.sent_on else None,
        "message": record.message,
        "details": record.details,
        "history": [
            {
                "at": event.at.isoformat(),
                "event": event.event.value,
                "channel": event.channel.value if event.channel else None,
                "detail": event.detail,
            }
            for event in record.history
        ],
    }
