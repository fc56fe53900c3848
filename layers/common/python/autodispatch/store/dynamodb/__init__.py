"""The invoice store on one DynamoDB table (layout in table_schema and below).

Items (pk / sk):
- ``TENANTS`` / ``TENANT#<tenant>``: the tenant document (``doc``).
- ``TENANT#<tenant>`` / ``DOC#<invoice>``: the invoice document, written at import only.
- ``TENANT#<tenant>`` / ``STATE#<invoice>``: the small dispatch-state item every run writes, with
  its ``history``, the optional ``claim`` and, exactly while PENDING and UNSENT, the keys of the
  sparse pending index.
- ``RUNS`` / ``RUN#<run date>#<run>``: a run summary with its counters.
- ``RUN#<run>`` / ``RUN``: points to the summary (its run date), so get_run needs no Scan.
- ``RUN#<run>`` / ``ISSUE#<tenant>#<invoice>#<digest>``: a run's FAILED or IGNORED invoices.
- ``RUN#<run>`` / ``NOTIFIED#<tenant>``: the marker that makes a run notify a tenant once (R21).
- ``IMPORTS`` / ``IMPORT#<token>[#<part>]``: the undo journal of an import under way (journal.py).
- ``NOTICES`` / ``TENANT#<tenant>#<invoice>#<digest>``: what email feedback found for the tenant's
  next notification (R21, R26).

Every state change is one conditional write that also appends its history events (R19, R23).
One module per concern: client (calls, errors, batches), items (keys and conversions),
expressions, journal (all-or-nothing imports), tenants, invoices, pending (the index),
user_actions, claims, runs and delivery_feedback.
"""

from typing import TYPE_CHECKING

from autodispatch.store.dynamodb.claims import ClaimTable
from autodispatch.store.dynamodb.delivery_feedback import DeliveryFeedbackTable
from autodispatch.store.dynamodb.invoices import InvoiceTable
from autodispatch.store.dynamodb.journal import ImportJournalTable
from autodispatch.store.dynamodb.pending import PendingIndexTable
from autodispatch.store.dynamodb.runs import RunTable
from autodispatch.store.dynamodb.tenants import TenantTable

if TYPE_CHECKING:
    from autodispatch.store.port import InvoiceStore

__all__ = ["DynamoDbInvoiceStore"]


class DynamoDbInvoiceStore(
    TenantTable,
    InvoiceTable,
    PendingIndexTable,
    ClaimTable,
    RunTable,
    DeliveryFeedbackTable,
    ImportJournalTable,
):
    """InvoiceStore on DynamoDB: the per-concern tables on one table client."""


if TYPE_CHECKING:

    def _implements_port(store: DynamoDbInvoiceStore) -> InvoiceStore:
        """mypy proves here that the adapter matches the port."""
        return store
