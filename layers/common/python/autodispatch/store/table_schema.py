"""The invoice table's shape: one definition shared by the adapter, the tests and the local runtime.

The CDK construct mirrors these names; keep both in step.
"""

from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"

# Sparse index of the invoices a run may take: only PENDING, UNSENT state items carry its keys.
PENDING_INDEX = "gsi1"
PENDING_INDEX_PARTITION_KEY = "gsi1pk"
PENDING_INDEX_SORT_KEY = "gsi1sk"
# Everything the selector needs to filter without reading the invoice document.
PENDING_INDEX_PROJECTED = ("tenant_id", "invoice_id", "source", "due_from")
# Pending items are spread over this many index partitions so one night's load never lands on
# one hot key; pending() queries them all.
PENDING_SHARDS = 16
# Epoch seconds after which DynamoDB's TTL deletes a run's own items (summary, issues, markers).
TTL_ATTRIBUTE = "expires_at"


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Keyword arguments of DynamoDB CreateTable for the invoice table (on-demand capacity)."""
    return {
        "TableName": table_name,
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in (PARTITION_KEY, SORT_KEY, PENDING_INDEX_PARTITION_KEY, PENDING_INDEX_SORT_KEY)
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": PENDING_INDEX,
                "KeySchema": [
                    {"AttributeName": PENDING_INDEX_PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": PENDING_INDEX_SORT_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": list(PENDING_INDEX_PROJECTED),
                },
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
