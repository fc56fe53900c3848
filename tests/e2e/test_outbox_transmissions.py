"""R19, R23 on the real state machine (moto) with the S3 outbox transports: a batch's e-invoices and
letters go out as one transmission object per batch attempt and transport, and a process that dies
at any point of that path (after staging, after the objects' write before any outcome, between
outcomes) leaves a night where nothing was delivered twice (the documents counted across every
outbox object), every invoice ends as the demo's oracle says, and every invoice sent in an outbox
object names it in its history."""

from typing import Any

import pytest

import dispatch_invoice.handler as dispatch_handler
from autodispatch import wiring
from autodispatch.channels.deliverer import build_deliverer
from autodispatch.channels.transmission import read_transmission
from autodispatch.config import load_config
from autodispatch.models.enums import HistoryEventKind
from autodispatch.models.scenario import InvoiceKey, Scenario
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.runtime import BUCKET_NAME, LocalAws
from tests.e2e.test_nightly_run import (
    EXPECTED,
    NIGHTS,
    assert_exactly_one_delivery_per_sent_invoice,
    outcomes,
)

pytestmark = pytest.mark.e2e
FIRST_NIGHT = NIGHTS[0].isoformat()


class ProcessDied(BaseException):
    """The function's process ends on the spot: nothing after it runs, nothing is caught."""


class DiesOnce:
    """The deployed deliverer and store, in a process that dies once, in the first night's batch:
    `staged` as it is about to write its outbox objects (every document staged), `written` just
    after writing them (no outcome yet), `outcomes` at the second outcome write after them. The
    death takes the process's memory with it (a new deliverer is built)."""

    def __init__(self, point: str) -> None:
        self.point, self.died, self.transmitted = point, False, False
        self.process: Any = None
        self.settles = 0
        self.tries: list[int | None] = []

    def deliverer(self) -> Any:
        if self.process is None:
            self.process = build_deliverer(load_config())
        return self.process

    def die(self) -> None:
        self.died, self.process = True, None
        raise ProcessDied

    def handler(self, event: dict[str, Any], context: Any) -> Any:
        self.tries.append((event.get("attempt") or {}).get("retry"))
        first_night = event["run"]["run_date"] == FIRST_NIGHT and "failure" not in event
        try:
            return dispatch_handler.handler(
                event,
                context,
                store=_Store(self) if first_night else None,
                deliverer=_Deliverer(self) if first_night else None,
            )
        except ProcessDied:
            raise RuntimeError("Runtime.ExitError") from None


class _Deliverer:
    def __init__(self, dies: DiesOnce) -> None:
        self._dies = dies

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dies.deliverer(), name)

    def transmit(self, attempt: str) -> dict[str, bool]:
        dies = self._dies
        if dies.point == "staged" and not dies.died:
            dies.die()
        written: dict[str, bool] = dies.deliverer().transmit(attempt)
        dies.transmitted = dies.transmitted or any(written.values())
        if dies.point == "written" and not dies.died:
            dies.die()
        return written


class _Store:
    def __init__(self, dies: DiesOnce) -> None:
        self._dies = dies
        self._inner = wiring.invoice_store()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def settle(self, *args: Any) -> None:
        dies = self._dies
        if dies.point == "outcomes" and dies.transmitted and not dies.died:
            dies.settles += 1
            if dies.settles == 2:
                dies.die()
        self._inner.settle(*args)


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("point", ["staged", "written", "outcomes"])
def test_r19_r23_a_death_on_the_transmission_path_delivers_nothing_twice_and_says_only_the_truth(
    demo_scenario: Scenario, point: str, workers: int
) -> None:
    dies = DiesOnce(point)
    with LocalAws(
        handlers={"DispatchInvoice": dies.handler}, environment={"DISPATCH_WORKERS": str(workers)}
    ) as local:
        report = run_scenario(demo_scenario, NIGHTS, local=local)
        s3 = local.client("s3")
        objects = {
            item["Key"]: read_transmission(
                item["Key"], s3.get_object(Bucket=BUCKET_NAME, Key=item["Key"])["Body"].read()
            )
            for item in s3.list_objects_v2(Bucket=BUCKET_NAME, Prefix="outbox/").get("Contents", [])
        }
        records = {
            (i["tenant_id"], i["invoice_id"]): wiring.invoice_store().get_record(
                InvoiceKey(tenant_id=i["tenant_id"], invoice_id=i["invoice_id"])
            )
            for i in report["invoices"]
        }
    assert dies.died
    assert dies.tries[:2] == [0, 1]  # the batch's next try, named by the state machine
    assert all(run["executions"][0]["status"] == "SUCCEEDED" for run in report["runs"])
    assert outcomes(report) == EXPECTED
    # Nothing twice: every document in exactly one outbox object, once.
    documents = [(d.tenant_id, d.invoice_id, d.kind) for held in objects.values() for d in held]
    assert len(documents) == len(set(documents))
    assert_exactly_one_delivery_per_sent_invoice(report)
    # The first night's batch is one object per transport (not one per document).
    first = [key for key in objects if "/local-2026-03-10-" in key]
    assert sorted(key.split("/")[1] for key in first) == ["einvoice", "peppol", "print"]
    # Every invoice sent in an outbox object names it, and its message id, in its history.
    for (tenant_id, invoice_id), held_in in _held(objects).items():
        record = records[(tenant_id, invoice_id)]
        where = [e.transmission for e in record.history if e.event is HistoryEventKind.SENT]
        assert where, (invoice_id, record.history)
        assert where[-1] is not None
        key, _, message_id = where[-1].partition("#")
        assert key == held_in[0]
        assert message_id == held_in[1]


def _held(objects: dict[str, list[Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (d.tenant_id, d.invoice_id): (key, d.message_id)
        for key, held in objects.items()
        for d in held
        if d.kind.value != "FACTORING" and "/local-" in key
    }
