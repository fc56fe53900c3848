"""The open-invoices list pages in DynamoDB (R19, R27): each page is one or a few Query requests
from the previous page's last key, never a read of the tenant's whole partition, and the pages
together hold every record (of the state asked for) once, in invoice id order."""

from typing import Any

import pytest

from autodispatch.models.enums import AutoDispatchState
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import RecordPage

STATES = [None, AutoDispatchState.PENDING, AutoDispatchState.REMOVED, AutoDispatchState.SENT]


@pytest.fixture
def reads(dynamodb: Any) -> list[int]:
    """How many items each Query request read (its ScannedCount), in order."""
    counts: list[int] = []

    def record(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            counts.append(parsed["ScannedCount"])

    dynamodb.meta.events.register("after-call.dynamodb.Query", record)
    return counts


def all_pages(
    store: DynamoDbInvoiceStore, state: AutoDispatchState | None, limit: int, tenant_id: str = "kahvila"
) -> list[RecordPage]:
    pages: list[RecordPage] = []
    after: str | None = None
    for _ in range(100):  # bounded: a list that never ends fails below
        page = store.records_page(tenant_id, state, limit, after)
        pages.append(page)
        after = page.resume_after
        if after is None:
            return pages
    pytest.fail("the pages did not end")


def ids(pages: list[RecordPage]) -> list[str]:
    return [record.invoice_id for page in pages for record in page.records]


@pytest.mark.parametrize("state", STATES, ids=str)
@pytest.mark.parametrize("limit", [1, 2, 3, 9, 10, 11, 500])
def test_r27_pages_hold_every_record_of_the_state_once_in_id_order(
    loaded: DynamoDbInvoiceStore, state: AutoDispatchState | None, limit: int
) -> None:
    pages = all_pages(loaded, state, limit)
    expected = sorted(record.invoice_id for record in loaded.list_records("kahvila", state))
    assert ids(pages) == expected
    assert all(len(page.records) == limit for page in pages[:-1])  # full pages but the last
    assert len(pages[-1].records) <= limit
    assert all(page.resume_after == page.records[-1].invoice_id for page in pages[:-1])


def test_r27_a_page_reads_the_page_and_one_more_not_the_whole_tenant(
    loaded: DynamoDbInvoiceStore, reads: list[int]
) -> None:
    first = loaded.records_page("kahvila", None, 3)
    assert [r.invoice_id for r in first.records] == ["k-1001", "k-1002", "k-1003"]
    assert first.resume_after == "k-1003"
    assert reads == [4]
    second = loaded.records_page("kahvila", None, 3, first.resume_after)
    assert [r.invoice_id for r in second.records] == ["k-1004", "k-1005", "k-1006"]
    assert reads == [4, 4]


def test_r27_a_state_filter_reads_on_until_the_page_is_full(
    loaded: DynamoDbInvoiceStore, reads: list[int]
) -> None:
    loaded.filtered_read_size = 2
    page = loaded.records_page("kahvila", AutoDispatchState.PENDING, 6)
    assert len(page.records) == 6
    assert all(record.state is AutoDispatchState.PENDING for record in page.records)
    # k-1001..k-1007 hold 5 pending (k-1006 is sent, k-1007 removed): 2 more read to fill the page.
    assert reads == [7, 2]


def test_r27_a_filtered_page_stops_at_its_read_budget_and_says_where(
    loaded: DynamoDbInvoiceStore, reads: list[int]
) -> None:
    loaded.filtered_read_size = 1
    loaded.page_read_budget = 2
    first = loaded.records_page("kahvila", AutoDispatchState.REMOVED, 5)
    assert first.records == []  # k-1001 and k-1002 are pending
    assert first.resume_after == "k-1002"
    assert sum(reads) == 2
    pages = all_pages(loaded, AutoDispatchState.REMOVED, 5)
    assert ids(pages) == ["k-1007"]


def test_r27_pages_stay_in_their_tenant(loaded: DynamoDbInvoiceStore) -> None:
    pages = all_pages(loaded, None, 2, tenant_id="tilitoimisto")
    assert {record.tenant_id for page in pages for record in page.records} == {"tilitoimisto"}
    assert loaded.records_page("kahvila", None, 2, after="t-9999") == RecordPage(records=[])
