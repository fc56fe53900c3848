"""Condition and update expressions with aliased placeholders, and why a conditional write lost."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from autodispatch.models.dispatch import HistoryEvent
from autodispatch.store.dynamodb.items import PENDING, UNSENT, Item, events, instant, typed


class Expression:
    """Placeholders for one request: every name is aliased (state, status, source... are reserved)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: Item = {}
        # History events this request appends (an import's undo journal checks the length).
        self.appended = 0

    def n(self, *path: str) -> str:
        for name in path:
            self.names[f"#{name}"] = name
        return ".".join(f"#{name}" for name in path)

    def v(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = typed(value)
        return placeholder

    def append_history(self, history: Iterable[HistoryEvent]) -> str:
        appended = events(history)
        self.appended += len(appended)
        name = self.n("history")
        return f"{name} = list_append(if_not_exists({name}, {self.v([])}), {self.v(appended)})"

    def pending_unsent(self) -> str:
        return f"{self.n('state')} = {self.v(PENDING)} AND {self.n('status')} = {self.v(UNSENT)}"

    def claimable(self, run_id: str, now: datetime) -> str:
        """PENDING, UNSENT and free: unclaimed, claimed by this run, or its lease ran out (R10, R23)."""
        return (
            f"{self.pending_unsent()} AND "
            f"(attribute_not_exists({self.n('claim')}) OR {self.n('claim', 'run_id')} = {self.v(run_id)} "
            f"OR {self.n('claim', 'lease_until')} < {self.v(instant(now))})"
        )

    def claimable_after_run(self, run_id: str, claimant: str, now: datetime) -> str:
        """Claimable, or claimed by any invocation of run `run_id` (claimants are `run_id/...`)."""
        return (
            f"({self.claimable(claimant, now)}) OR ({self.pending_unsent()} AND "
            f"begins_with({self.n('claim', 'run_id')}, {self.v(run_id + '/')}))"
        )

    def staged_by(self, claimants: Sequence[str]) -> str:
        """PENDING, UNSENT, and claimed by one of `claimants` for an attempt staged for an outbox
        object (the claim names it)."""
        names = ", ".join(self.v(claimant) for claimant in claimants)
        return (
            f"{self.pending_unsent()} AND {self.n('claim', 'run_id')} IN ({names}) "
            f"AND attribute_exists({self.n('claim', 'transmission')})"
        )

    def claimed_by(self, run_id: str) -> str:
        return f"{self.n('claim', 'run_id')} = {self.v(run_id)}"

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def update_expression(sets: Sequence[str], removes: Sequence[str] = ()) -> str:
    parts = []
    if sets:
        parts.append("SET " + ", ".join(sets))
    if removes:
        parts.append("REMOVE " + ", ".join(removes))
    return " ".join(parts)


def why_not(old: Mapping[str, Any] | None, run_id: str | None, now: datetime | None) -> str:
    """The reason a conditional write on a state item lost, from the item as it was."""
    if old is None:
        return "it does not exist"
    if old.get("status") != UNSENT:
        return "it is already sent"
    if old.get("state") != PENDING:
        return f"its automatic dispatch is {old.get('state')}"
    claim = old.get("claim")
    if claim and claim.get("run_id") != run_id:
        if now is None or claim.get("lease_until", "") >= instant(now):
            return f"it is claimed by run {claim.get('run_id')} until {claim.get('lease_until')}"
        return "its expired claim by another run has not been taken over"
    if run_id is not None and not claim:
        return "it is not claimed by this run"
    return "it was changed by another writer"
