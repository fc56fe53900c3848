"""The sparse pending index, read by Query only: every tenant's pending invoices due before an
instant (R5-R10). The shards are queried in parallel and streamed page by page through a bounded
queue, so memory holds a few pages whatever the number of pending invoices."""

import queue
import threading
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime

from autodispatch.models.enums import Source
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import TableClient
from autodispatch.store.dynamodb.expressions import Expression
from autodispatch.store.port import PendingEntry
from autodispatch.store.table_schema import (
    PENDING_INDEX,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_SORT_KEY,
    PENDING_SHARDS,
)

# Pending entries handed from a shard's reader to the selection at a time.
PENDING_PAGE = 1000

_Page = list[PendingEntry] | BaseException | None


class PendingIndexTable(TableClient):
    def pending(self, due_before: datetime) -> Iterator[PendingEntry]:
        """Entries with due_from strictly before `due_before` (pass the run's start instant, or the
        start of the local day after the run date), in no particular order."""
        before = items.instant(due_before)
        pages: queue.Queue[_Page] = queue.Queue(maxsize=PENDING_SHARDS)
        stop = threading.Event()

        def hand_over(page: _Page) -> bool:
            while not stop.is_set():
                with suppress(queue.Full):
                    pages.put(page, timeout=0.1)
                    return True
            return False

        def query_shard(shard: int) -> None:
            try:
                page: list[PendingEntry] = []
                for entry in self._shard_entries(shard, before):
                    page.append(entry)
                    if len(page) == PENDING_PAGE:
                        if not hand_over(page):
                            return
                        page = []
                if page:
                    hand_over(page)
            except BaseException as error:  # handed to the reader, which raises it
                hand_over(error)
            finally:
                hand_over(None)

        self.client  # noqa: B018 - created once here: creating boto3 clients is not thread-safe
        workers = [
            threading.Thread(target=query_shard, args=(shard,), daemon=True)
            for shard in range(PENDING_SHARDS)
        ]
        for worker in workers:
            worker.start()
        try:
            finished = 0
            while finished < PENDING_SHARDS:
                page = pages.get()
                if page is None:
                    finished += 1
                elif isinstance(page, BaseException):
                    raise page
                else:
                    yield from page
        finally:
            stop.set()
            for worker in workers:
                worker.join()

    def _shard_entries(self, shard: int, before: str) -> Iterator[PendingEntry]:
        e = Expression()
        condition = (
            f"{e.n(PENDING_INDEX_PARTITION_KEY)} = {e.v(f'PENDING#{shard:02d}')} AND "
            f"{e.n(PENDING_INDEX_SORT_KEY)} < {e.v(before)}"
        )
        # Only what an entry needs: the index sort key holds the due instant and the invoice's key
        # (ids have no '#', R25), so two attributes are read where the index stores eight;
        # botocore's parsing of them is most of selection's CPU.
        projection = f"{e.n(PENDING_INDEX_SORT_KEY)}, {e.n('source')}"
        for item in self._query_typed(
            IndexName=PENDING_INDEX,
            KeyConditionExpression=condition,
            ProjectionExpression=projection,
            **e.params(),
        ):
            due_from, key = items.index_sort_key_parts(item[PENDING_INDEX_SORT_KEY]["S"])
            yield PendingEntry(key=key, source=Source(item["source"]["S"]), due_from=due_from)
