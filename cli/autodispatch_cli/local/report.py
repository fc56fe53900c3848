"""The run report of SCENARIO-FORMAT.md. `notifications` and `deliveries` are read back from what
the embedded SES, SNS and transports received, not from the project's own records."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from autodispatch.channels.transmission import read_transmission
from autodispatch.errors import AutodispatchError, NotFound
from autodispatch.models.enums import Channel, Language
from autodispatch.models.report import invoice_entry
from autodispatch.models.routes import ROUTES, ROUTES_BY_NAME, RouteName
from autodispatch.models.scenario import InvoiceKey, Tenant
from autodispatch.store.port import InvoiceStore
from autodispatch_cli.local.runtime import ACCOUNT, BUCKET_NAME, REGION, LocalAws

OUTBOX_PREFIX = "outbox/"


@dataclass
class Execution:
    name: str
    arn: str
    status: str = "RUNNING"


@dataclass
class Night:
    run_date: date
    executions: list[Execution] = field(default_factory=list)
    # Positions in the SES/SNS logs before the night started: what comes after belongs to it.
    emails_before: int = 0
    sms_before: int = 0


def sent_emails() -> list[Any]:
    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def _parse(raw: Any) -> EmailMessage | None:
    data = getattr(raw, "raw_data", None)
    if data is None:
        return None
    message = email.message_from_bytes(
        data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data,
        policy=email.policy.default,
    )
    return message if isinstance(message, EmailMessage) else None


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()).replace("\r\n", "\n").strip() if part is not None else ""


def _notifications(nights: Sequence[Night], tenants: Sequence[Tenant]) -> list[dict[str, Any]]:
    emails, texts = sent_emails(), sent_sms()
    entries: list[dict[str, Any]] = []
    for position, night in enumerate(nights):
        email_end = nights[position + 1].emails_before if position + 1 < len(nights) else len(emails)
        sms_end = nights[position + 1].sms_before if position + 1 < len(nights) else len(texts)
        for raw in emails[night.emails_before : email_end]:
            message = _parse(raw)
            if message is None or "X-Autodispatch-Run-Date" not in message:
                continue
            entries.append(
                {
                    "tenant_id": str(message["X-Autodispatch-Tenant"]),
                    "run_date": night.run_date.isoformat(),
                    "kind": "EMAIL",
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]).strip(),
                    "body": _body_text(message),
                }
            )
        for phone, body in texts[night.sms_before : sms_end]:
            entries.append(
                {
                    "tenant_id": _sms_tenant(phone, body, tenants),
                    "run_date": night.run_date.isoformat(),
                    "kind": "SMS",
                    "to": phone,
                    "subject": None,
                    "body": body,
                }
            )
    return entries


def _sms_tenant(phone: str, body: str, tenants: Sequence[Tenant]) -> str:
    """The tenant an SMS is for, from what SNS received (an SMS carries no header to name it):
    the tenant with that notification phone; of several sharing one phone, the one the text names
    (every notification's subject names its tenant, "(Kahvila Aurinko Oy)"); "" when none fits."""
    candidates = [tenant for tenant in tenants if tenant.settings.notify_phone == phone]
    named = [tenant for tenant in candidates if f"({tenant.name})" in body]
    chosen = named or candidates
    return chosen[0].tenant_id if len(chosen) == 1 else ""


class UnsafeArtifactPath(AutodispatchError):
    """An artifact path that would leave the --out folder (the CLI prints it as one line)."""


def _segment(value: str) -> str:
    """One path segment from an id: '/' and every other special character percent-encoded, and
    '.'/'..' spelled out, so an id can never name another folder."""
    quoted = quote(value, safe="")
    return {".": "%2E", "..": "%2E%2E"}.get(quoted, quoted)


def _relative(folder: str, tenant_id: str, invoice_id: str, kind: str, extension: str) -> str:
    """`<folder>/<tenant>/<invoice>-<kind>.<extension>`, each id made a safe path segment."""
    return f"{folder}/{_segment(tenant_id)}/{_segment(f'{invoice_id}-{kind.lower()}')}.{extension}"


def _artifact(out: Path | None, relative: str, content: bytes, fallback: str) -> str:
    if out is None:
        return fallback
    root = out.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise UnsafeArtifactPath(f"the artifact path {relative!r} would be written outside {out}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return relative


def _deliveries(local: LocalAws, out: Path | None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    s3 = local.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET_NAME, Prefix=OUTBOX_PREFIX):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=BUCKET_NAME, Key=item["Key"])["Body"].read()
            # Each outbox object is a transmission file of many documents (channels/transmission.py);
            # each document is a delivery, written as its route's own file.
            for document in read_transmission(item["Key"], body):
                channel, kind = document.channel.value, document.kind.value
                tenant_id, invoice_id = document.tenant_id, document.invoice_id
                extension = _document_extension(item["Key"], document.channel)
                relative = _relative(channel.lower(), tenant_id, invoice_id, kind, extension)
                where = f"s3://{BUCKET_NAME}/{item['Key']}#{document.message_id}"
                entries.append(
                    {
                        "tenant_id": tenant_id,
                        "invoice_id": invoice_id,
                        "channel": channel,
                        "kind": kind,
                        "artifact": _artifact(out, relative, document.content, where),
                    }
                )
    for raw in sent_emails():
        message = _parse(raw)
        if message is None or "X-Autodispatch-Invoice" not in message:
            continue
        tenant_id, invoice_id = str(message["X-Autodispatch-Tenant"]), str(message["X-Autodispatch-Invoice"])
        kind = str(message["X-Autodispatch-Kind"])
        extension = ROUTES_BY_NAME[RouteName.EMAIL].extension
        relative = _relative("email", tenant_id, invoice_id, kind, extension)
        entries.append(
            {
                "tenant_id": tenant_id,
                "invoice_id": invoice_id,
                "channel": "EMAIL",
                "kind": kind,
                "artifact": _artifact(out, relative, message.as_bytes(), f"ses:{raw.id}"),
            }
        )
    return sorted(entries, key=lambda entry: (entry["tenant_id"], entry["invoice_id"], entry["kind"]))


def _document_extension(key: str, channel: Channel) -> str:
    """The file extension of a document of the outbox object `key`: its route's (models/routes.py)."""
    transport = key.split("/")[1]
    return next(
        route.extension for route in ROUTES if route.transport == transport and route.channel is channel
    )


def _run_entry(night: Night, store: InvoiceStore) -> dict[str, Any]:
    """The night's counts, each invoice once (per night, not per execution). Executions started
    at once for one night select from the same due invoices, and that set only shrinks as they
    send, so `selected` is the largest selection among them, not the sum; each invoice ends in
    the one execution that claims it, so sent, ignored and failed add up. `follow_ups_failed` (an
    addition to the report) counts factoring messages that failed after their invoice was sent (R17)."""
    totals = {"selected": 0, "sent": 0, "ignored": 0, "failed": 0, "follow_ups_failed": 0}
    for execution in night.executions:
        try:
            counts = store.get_run(execution.name).counts
        except NotFound:  # an execution that died before selecting has no run record
            continue
        totals["selected"] = max(totals["selected"], counts.selected)
        for name in ("sent", "ignored", "failed", "follow_ups_failed"):
            totals[name] += getattr(counts, name)
    return {
        "run_date": night.run_date.isoformat(),
        "executions": [{"name": e.name, "status": e.status} for e in night.executions],
        **totals,
    }


def build_report(
    local: LocalAws,
    store: InvoiceStore,
    nights: Sequence[Night],
    keys: Iterable[InvoiceKey],
    tenants: Sequence[Tenant],
    out: Path | None,
    language: Language = Language.EN,
) -> dict[str, Any]:
    """The run report; its invoices' messages in `language` (English in the public report)."""
    ordered = list(keys)
    records = store.get_records(ordered)
    return {
        "runs": [_run_entry(night, store) for night in nights],
        "invoices": [invoice_entry(records[key], language=language) for key in ordered if key in records],
        "notifications": _notifications(nights, tenants),
        "deliveries": _deliveries(local, out),
    }
