"""Run summaries (``RUNS`` / ``RUN#<date>#<run>`` and the ``RUN#<run>`` / ``RUN`` pointer), a run's
issues (``ISSUE#...``) and its notification markers (``NOTIFIED#...``, R21)."""

from collections.abc import Sequence
from datetime import UTC, date, datetime

from autodispatch.errors import NotFound
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import ConditionFailed, TableClient
from autodispatch.store.dynamodb.expressions import Expression
from autodispatch.store.dynamodb.items import Item, attributes, expiry, run_key, run_pointer_key
from autodispatch.store.port import RunCounts, RunIssue, RunRef, RunSummary
from autodispatch.store.table_schema import PARTITION_KEY

_NOTICE_CLAIMED, _NOTICE_RELEASED = "CLAIMED", "RELEASED"


def _notification_item(run_id: str, tenant_id: str, kind: str, notice: str) -> Item:
    return {
        **items.key(f"RUN#{run_id}", f"NOTIFIED#{tenant_id}#{kind}"),
        **attributes(
            {
                "run_id": run_id,
                "tenant_id": tenant_id,
                "kind": kind,
                "notice": notice,
                **expiry(datetime.now(UTC).date()),
            }
        ),
    }


class RunTable(TableClient):
    def put_run(self, run: RunSummary) -> None:
        # The pointer first: a summary that list_runs shows can always be read by get_run.
        expires = expiry(run.run_date)
        self._put(
            {**run_pointer_key(run.run_id), **attributes({"run_date": run.run_date.isoformat(), **expires})}
        )
        values = {
            "run_id": run.run_id,
            "run_date": run.run_date.isoformat(),
            "execution_arn": run.execution_arn,
            "started_at": items.instant(run.started_at),
            **run.counts.model_dump(),
            **expires,
        }
        self._put({**run_key(run.run_date, run.run_id), **attributes(values)})

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None:
        increments = {name: value for name, value in counts.model_dump().items() if value}
        if not increments:
            return
        e = Expression()
        update = "ADD " + ", ".join(f"{e.n(name)} {e.v(value)}" for name, value in increments.items())
        try:
            self._update(
                run_key(run.run_date, run.run_id), e, update, f"attribute_exists({e.n(PARTITION_KEY)})"
            )
        except ConditionFailed:
            raise NotFound(f"Unknown run {run.run_id} of {run.run_date}") from None

    def get_run(self, run_id: str) -> RunSummary:
        pointer = self._get(run_pointer_key(run_id))
        item = self._get(run_key(date.fromisoformat(pointer["run_date"]), run_id)) if pointer else None
        if item is None:
            raise NotFound(f"Unknown run {run_id}")
        return items.run_summary(item)

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        e = Expression()
        runs: list[RunSummary] = []
        found = self._query(
            KeyConditionExpression=f"{e.n(PARTITION_KEY)} = {e.v('RUNS')}",
            ScanIndexForward=False,
            ConsistentRead=True,
            **e.params(),
        )
        for item in found:
            runs.append(items.run_summary(item))
            if len(runs) >= limit:
                break
        return runs

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None:
        requests: dict[str, Item] = {}
        for issue in issues:
            # A retried batch rewrites the same items.
            sort_key = f"ISSUE#{items.issue_suffix(issue)}"
            values = {**issue.model_dump(mode="json"), "run_id": run.run_id, **expiry(run.run_date)}
            requests[sort_key] = {
                "PutRequest": {"Item": {**items.key(f"RUN#{run.run_id}", sort_key), **attributes(values)}}
            }
        self._batch_write(list(requests.values()))

    def run_issues(self, run_id: str) -> list[RunIssue]:
        return [items.run_issue(item) for item in self._query_prefix(f"RUN#{run_id}", "ISSUE#")]

    def claim_notification(self, run_id: str, tenant_id: str, kind: str) -> bool:
        # A released claim (the send certainly failed) may be taken again by the retried step.
        try:
            self._on_table(
                "put_item",
                Item=_notification_item(run_id, tenant_id, kind, _NOTICE_CLAIMED),
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY}) OR #notice = :released",
                ExpressionAttributeNames={"#notice": "notice"},
                ExpressionAttributeValues={":released": {"S": _NOTICE_RELEASED}},
            )
        except ConditionFailed:
            return False
        return True

    def release_notification(self, run_id: str, tenant_id: str, kind: str) -> None:
        # Overwritten rather than deleted: the notify role needs no DeleteItem.
        self._put(_notification_item(run_id, tenant_id, kind, _NOTICE_RELEASED))
