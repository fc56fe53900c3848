"""Run summaries (``RUNS`` / ``RUN#<date>#<run>`` and the ``RUN#<run>`` / ``RUN`` pointer), a run's
issues (``ISSUE#...``), its notification markers (``NOTIFIED#...``, R21) and the hold of each night
(``NIGHT#<date>`` / ``NIGHT``: the execution that runs it, R21, R23)."""

from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, date, datetime

from autodispatch.errors import NotFound
from autodispatch.models.text import Text
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import ConditionFailed, TableClient
from autodispatch.store.dynamodb.expressions import Expression
from autodispatch.store.dynamodb.items import Item, attributes, expiry, plain, run_key, run_pointer_key
from autodispatch.store.port import RunCounts, RunIssue, RunRef, RunSummary
from autodispatch.store.table_schema import PARTITION_KEY, SORT_KEY

_NOTICE_CLAIMED, _NOTICE_RELEASED = "CLAIMED", "RELEASED"
# The run item's attribute holding the cause of the night's email stop (an account-level fault).
_EMAIL_STOP = "email_stop"
_ISSUE = "ISSUE#"


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


def run_issue_item(run: RunRef, issue: RunIssue) -> Item:
    """An issue of a run as stored (``RUN#<run>`` / ``ISSUE#<tenant>#<invoice>#<digest>``)."""
    values = {**issue.model_dump(mode="json"), "run_id": run.run_id, **expiry(run.run_date)}
    return {**items.key(f"RUN#{run.run_id}", f"{_ISSUE}{items.issue_suffix(issue)}"), **attributes(values)}


def _night_key(run_date: date) -> Item:
    return items.key(f"NIGHT#{run_date.isoformat()}", "NIGHT")


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
            raise NotFound.run(run.run_id) from None

    def stop_email(self, run: RunRef, cause: Text) -> None:
        e = Expression()
        update = f"SET {e.n(_EMAIL_STOP)} = {e.v(cause)}"
        condition = f"attribute_exists({e.n(PARTITION_KEY)}) AND attribute_not_exists({e.n(_EMAIL_STOP)})"
        # A lost condition: the night's first cause is kept already (or the run was never put).
        with suppress(ConditionFailed):
            self._update(run_key(run.run_date, run.run_id), e, update, condition)

    def email_stop(self, run: RunRef) -> Text | None:
        found = self._on_table(
            "get_item",
            Key=run_key(run.run_date, run.run_id),
            ConsistentRead=True,
            ProjectionExpression="#stop",
            ExpressionAttributeNames={"#stop": _EMAIL_STOP},
        ).get("Item")
        cause = plain(found).get(_EMAIL_STOP) if found else None
        return None if cause is None else Text.model_validate(cause)

    def get_run(self, run_id: str) -> RunSummary:
        pointer = self._get(run_pointer_key(run_id))
        item = self._get(run_key(date.fromisoformat(pointer["run_date"]), run_id)) if pointer else None
        if item is None:
            raise NotFound.run(run_id)
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
            item = run_issue_item(run, issue)
            requests[item[SORT_KEY]["S"]] = {"PutRequest": {"Item": item}}
        self._batch_write(list(requests.values()))

    def run_issues(self, run_id: str) -> list[RunIssue]:
        return [items.run_issue(item) for item in self._query_prefix(f"RUN#{run_id}", _ISSUE)]

    def run_issue_tenants(self, run_id: str) -> list[tuple[str, int]]:
        # Only the sort key comes back (the read units are those of the whole items, a few
        # thousandths of a dollar for 100,000 issues); it names the tenant, in id order.
        e = Expression()
        counts: Counter[str] = Counter()
        for item in self._query_typed(
            KeyConditionExpression=f"{e.n(PARTITION_KEY)} = {e.v(f'RUN#{run_id}')} "
            f"AND begins_with({e.n(SORT_KEY)}, {e.v(_ISSUE)})",
            ProjectionExpression=e.n(SORT_KEY),
            ConsistentRead=True,
            **e.params(),
        ):
            counts[items.issue_tenant(item[SORT_KEY]["S"].removeprefix(_ISSUE))] += 1
        return list(counts.items())

    def tenant_run_issues(self, run_id: str, first_tenant: str, last_tenant: str) -> list[RunIssue]:
        # `ISSUE#<tenant>#...`: ids have no `#` and sort after it, so the keys from
        # `ISSUE#<first>#` to `ISSUE#<last>$` (`$` follows `#`) are exactly those tenants'.
        e = Expression()
        found = self._query(
            KeyConditionExpression=f"{e.n(PARTITION_KEY)} = {e.v(f'RUN#{run_id}')} AND {e.n(SORT_KEY)} "
            f"BETWEEN {e.v(f'{_ISSUE}{first_tenant}#')} AND {e.v(f'{_ISSUE}{last_tenant}$')}",
            ConsistentRead=True,
            **e.params(),
        )
        return [items.run_issue(item) for item in found]

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

    def hold_night(self, run: RunRef, lease_until: datetime, now: datetime) -> str | None:
        # Taken when nobody holds the night, this run holds it already (a retried step), its
        # holder has finished, or the holder's lease ended (its execution timed out by then).
        e = Expression()
        item = {
            **_night_key(run.run_date),
            **attributes(
                {
                    "run_id": run.run_id,
                    "lease_until": items.instant(lease_until),
                    "released": False,
                    **expiry(run.run_date),
                }
            ),
        }
        condition = (
            f"attribute_not_exists({e.n(PARTITION_KEY)}) OR {e.n('run_id')} = {e.v(run.run_id)} "
            f"OR {e.n('released')} = {e.v(True)} OR {e.n('lease_until')} < {e.v(items.instant(now))}"
        )
        try:
            self._on_table(
                "put_item",
                Item=item,
                ConditionExpression=condition,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ConditionFailed as failed:
            return str((failed.old or {}).get("run_id", "another run"))
        return None

    def night_holder(self, run_date: date) -> str | None:
        item = self._get(_night_key(run_date))
        return str(item["run_id"]) if item else None

    def release_night(self, run: RunRef) -> None:
        e = Expression()
        # Another run holds the night (or nobody did): nothing of this run's to release.
        with suppress(ConditionFailed):
            self._update(
                _night_key(run.run_date),
                e,
                f"SET {e.n('released')} = {e.v(True)}",
                f"{e.n('run_id')} = {e.v(run.run_id)}",
            )

    def release_notification(self, run_id: str, tenant_id: str, kind: str) -> None:
        # Overwritten rather than deleted: the notify role needs no DeleteItem.
        self._put(_notification_item(run_id, tenant_id, kind, _NOTICE_RELEASED))
