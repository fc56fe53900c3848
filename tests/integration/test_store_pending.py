"""The pending index read in parallel (moto): every due entry once, in pages; a failing shard stops
the selection with its error; a reader that stops early leaves no thread behind (R10)."""

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from tests.integration.conftest import TABLE_NAME, ZONE

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def test_r10_pending_pages_of_every_shard_give_each_entry_once(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    one_item_pages = DynamoDbInvoiceStore(TABLE_NAME, ZONE, dynamodb, query_limit=1)
    entries = [entry.key for entry in one_item_pages.pending(FAR_FUTURE)]
    assert len(entries) == len(set(entries))
    assert set(entries) == {entry.key for entry in loaded.pending(FAR_FUTURE)}
    assert len(entries) > 1


def test_a_shard_that_fails_stops_the_selection_with_its_error(dynamodb: Any) -> None:
    missing_table = DynamoDbInvoiceStore("no-such-table", ZONE, dynamodb)
    with pytest.raises(ClientError):
        list(missing_table.pending(FAR_FUTURE))


def test_a_reader_that_stops_early_leaves_no_thread_behind(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    before = threading.active_count()
    one_item_pages = DynamoDbInvoiceStore(TABLE_NAME, ZONE, dynamodb, query_limit=1)
    entries = one_item_pages.pending(FAR_FUTURE)
    next(entries)
    entries.close()
    assert threading.active_count() == before
