"""The table-bound client: error mapping, conditional writes, paginated queries, batches with backoff."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from autodispatch.clients import new_client
from autodispatch.errors import Throttled, TransientError
from autodispatch.store.dynamodb.expressions import Expression
from autodispatch.store.dynamodb.items import Item, plain
from autodispatch.store.table_schema import PARTITION_KEY, SORT_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PaginatorConfigTypeDef

    from autodispatch.store.dynamodb.journal import UndoJournal

# Throttling: the table's capacity (provisioned, or on-demand's own limits) refused the request.
_THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# Throttling and server-side failures: worth retrying, never a verdict on the item (by code, not text).
_TRANSIENT_CODES = _THROTTLING_CODES | {"InternalServerError", "ServiceUnavailable"}
# Every request, the night's claims and outcome writes included, rides out throttling with the
# SDK's standard retries: a throttled attempt waits rand(0, 1) x 2^i s (i = 0, 1, 2, 3), so the
# retries of one request wait at most 15 s (7.5 s on average), inside the 30 s a batch keeps in
# reserve after its last invoice (logic/dispatch.py). That outlasts a burst over provisioned
# capacity while DynamoDB's burst credit and auto scaling catch up; an outcome write still throttled
# after them is handed over (R23: the claim records the delivery), never left in doubt silently.
MAX_ATTEMPTS = 5  # the first attempt and four retries
_CONDITION_FAILED = "ConditionalCheckFailedException"
_BATCH_WRITE_SIZE = 25
_BATCH_GET_SIZE = 100


@dataclass(frozen=True)
class QueryPage:
    """One Query response: the matching items, how many were read, and where reading stopped
    (None at the end of the partition's range)."""

    items: list[dict[str, Any]]
    read: int
    last_key: Item | None


def _prefix_condition(pk: str, sk_prefix: str, where: Callable[[Expression], str] | None) -> dict[str, Any]:
    e = Expression()
    condition = f"{e.n(PARTITION_KEY)} = {e.v(pk)} AND begins_with({e.n(SORT_KEY)}, {e.v(sk_prefix)})"
    params: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
    if where is not None:
        params["FilterExpression"] = where(e)
    return {**params, **e.params()}


def new_dynamodb_client() -> DynamoDBClient:
    """The DynamoDB client of every function: standard retries, throttling included, within the
    budget above."""
    config = Config(retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS})
    return new_client(lambda: boto3.client("dynamodb", config=config))


class ConditionFailed(Exception):
    """A conditional write lost; carries the item as it was (None when it does not exist)."""

    def __init__(self, old: dict[str, Any] | None) -> None:
        super().__init__("conditional check failed")
        self.old = old


@contextmanager
def _mapped_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == _CONDITION_FAILED:
            # Present when the write asked for ReturnValuesOnConditionCheckFailure=ALL_OLD.
            old = cast("Item | None", error.response.get("Item"))
            raise ConditionFailed(plain(old) if old else None) from error
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _THROTTLING_CODES:
            raise Throttled(f"DynamoDB {operation} failed temporarily ({code})") from error
        if code in _TRANSIENT_CODES or status >= 500:
            raise TransientError(f"DynamoDB {operation} failed temporarily ({code})") from error
        raise
    except (BotoConnectionError, HTTPClientError) as error:
        raise TransientError(f"DynamoDB {operation} failed temporarily ({type(error).__name__})") from error


class TableClient:
    """One table's client calls. `zone` is the deployment's time zone (R1), kept for the callers
    that build the store with it; no store decision reads it.

    A copy bound to an import's undo journal (`journal.py`) journals each item's before-image
    before its first write and stamps every item it writes; the plain client writes as it is."""

    _journal: UndoJournal | None = None

    def __init__(
        self,
        table_name: str,
        zone: ZoneInfo,
        client: DynamoDBClient | None = None,
        *,
        query_limit: int | None = None,
        max_batch_attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self.zone = zone
        self._client = client
        self._query_limit = query_limit
        self._max_batch_attempts = max_batch_attempts
        self._sleep = sleep

    @property
    def client(self) -> DynamoDBClient:
        # Created on first use: importing the module or building the store needs no AWS setup.
        if self._client is None:
            self._client = new_dynamodb_client()
        return self._client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method: Callable[..., dict[str, Any]] = getattr(self.client, operation)
        with _mapped_errors(operation):
            return method(**params)

    def _on_table(self, operation: str, **params: Any) -> dict[str, Any]:
        return self._call(operation, TableName=self.table_name, **params)

    def _update(self, key: Item, expression: Expression, update: str, condition: str, **extra: Any) -> Item:
        if self._journal is not None:
            update = self._journal.before_update(key, expression, update)
        # ALL_OLD on a lost condition tells why (no extra cost), so errors can name the reason.
        return self._on_table(
            "update_item",
            Key=key,
            UpdateExpression=update,
            ConditionExpression=condition,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **expression.params(),
            **extra,
        )

    def _put(self, item: Item, condition: str | None = None) -> None:
        if self._journal is not None:
            item = self._journal.before_put(item, conditional=condition is not None)
        extra: dict[str, Any] = {}
        if condition is not None:
            extra = {"ConditionExpression": condition, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        self._on_table("put_item", Item=item, **extra)

    def _get(self, key: Item) -> dict[str, Any] | None:
        item = self._on_table("get_item", Key=key, ConsistentRead=True).get("Item")
        return plain(item) if item else None

    def _query(self, **params: Any) -> Iterator[dict[str, Any]]:
        for item in self._query_typed(**params):
            yield plain(item)

    def _query_typed(self, **params: Any) -> Iterator[Item]:
        """The items as DynamoDB returns them (typed values), for readers of millions of items."""
        pagination: PaginatorConfigTypeDef = (
            {} if self._query_limit is None else {"PageSize": self._query_limit}
        )
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name, PaginationConfig=pagination, **params
        )
        with _mapped_errors("query"):
            for page in pages:
                yield from page.get("Items", [])

    def _query_prefix(
        self, pk: str, sk_prefix: str, where: Callable[[Expression], str] | None = None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Query one partition by sort-key prefix; `where` builds a filter on the same placeholders."""
        return self._query(**_prefix_condition(pk, sk_prefix, where), **params)

    def _query_prefix_once(
        self,
        pk: str,
        sk_prefix: str,
        where: Callable[[Expression], str] | None,
        *,
        limit: int,
        start_key: Item | None,
    ) -> QueryPage:
        """One Query request of `_query_prefix`: DynamoDB reads at most `limit` items from
        `start_key` (exclusive) and then applies the filter, so it may return fewer."""
        params: dict[str, Any] = {"Limit": limit}
        if start_key is not None:
            params["ExclusiveStartKey"] = start_key
        response = self._on_table("query", **_prefix_condition(pk, sk_prefix, where), **params)
        return QueryPage(
            items=[plain(item) for item in response.get("Items", [])],
            read=int(response.get("ScannedCount", 0)),
            last_key=response.get("LastEvaluatedKey"),
        )

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(0.05 * 2 ** (attempt - 1), 2.0))

    def _batch_write(self, requests: Sequence[Item]) -> None:
        if self._journal is not None:
            requests = self._journal.before_batch(requests)
        for start in range(0, len(requests), _BATCH_WRITE_SIZE):
            pending = list(requests[start : start + _BATCH_WRITE_SIZE])
            for attempt in range(self._max_batch_attempts):
                if attempt:
                    self._backoff(attempt)
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table_name, [])
                if not pending:
                    break
            else:
                raise Throttled(f"DynamoDB left {len(pending)} writes unprocessed after retries")  # capacity

    def _batch_get(self, keys: Iterable[Item]) -> list[dict[str, Any]]:
        unique = list({(key[PARTITION_KEY]["S"], key[SORT_KEY]["S"]): key for key in keys}.values())
        found: list[dict[str, Any]] = []
        for start in range(0, len(unique), _BATCH_GET_SIZE):
            pending = unique[start : start + _BATCH_GET_SIZE]
            for attempt in range(self._max_batch_attempts):
                if attempt:
                    self._backoff(attempt)
                response = self._call(
                    "batch_get_item",
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}},
                )
                found.extend(plain(item) for item in response.get("Responses", {}).get(self.table_name, []))
                pending = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
                if not pending:
                    break
            else:
                raise Throttled(f"DynamoDB left {len(pending)} reads unprocessed after retries")  # capacity
        return found
