"""AWS requests, write units and billed time of a nightly run: the local run over a synthetic
scenario, with every request the handlers make counted by service and operation (botocore event
hooks), every item the night writes sized from the table, and every invocation timed.

Two configurations run: production's, where every route transport goes over HTTP to its own
service's API (the e-invoice operator, the Peppol access point and the print service: a stand-in
each on 127.0.0.1 here, `autodispatch_cli/local/stand_ins.py`, accepting every document with 202),
and the S3 outbox transports (one transmission object per batch and transport). Email goes
through SES in both, to the SES mailbox simulator's success address, so each email's delivery event
is recorded by the real RecordDeliveryEvents handler (R26) and its writes counted too.
"""

import contextlib
import contextvars
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from autodispatch.channels.transports import HttpTransport
from autodispatch.models.loading import parse_scenario
from autodispatch.models.routes import CONFIGURED_TRANSPORTS
from autodispatch.store.table_schema import (
    PARTITION_KEY,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_PROJECTED,
    PENDING_INDEX_SORT_KEY,
    SORT_KEY,
)
from autodispatch_cli.local.night_run import import_scenario, run_nights
from autodispatch_cli.local.runtime import ACCOUNT, FUNCTIONS, REGION, TABLE_NAME, LocalAws, import_handler
from autodispatch_cli.local.stand_ins import StandIns
from benchmarks import cost
from benchmarks.cost import Invocation
from benchmarks.synthetic import synthetic_scenario

WAIT_SECONDS = 600.0
# As deployed (cdk.json batchSize).
BATCH_SIZE = 100
# This shared, loaded machine runs a batch several times slower than Lambda would, so the deployed
# 70 s would make the time guard hand batches back (tests/e2e proves that guard); the bench measures
# cost, so its dispatch invocations get Lambda's longest timeout.
DISPATCH_TIMEOUT_SECONDS = 900.0
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
INDEX_ATTRIBUTES = (PARTITION_KEY, SORT_KEY, PENDING_INDEX_PARTITION_KEY, PENDING_INDEX_SORT_KEY)
# Every route transport (models/routes.py) to its own stand-in service, or to the bucket's outbox.
CONFIGURATIONS: dict[str, Callable[[StandIns], dict[str, str]]] = {
    "http": lambda services: services.environment(),
    "s3_outbox": lambda services: {f"{name.upper()}_TRANSPORT": "s3" for name in CONFIGURED_TRANSPORTS},
}

Key = tuple[str, str]


class Account:
    """What one invocation did, on every thread it ran (the dispatcher's workers run each invoice in
    a copy of the handler's context, so its requests are found here): the round trips its requests
    would wait for, moto answering them, and each thread's timeline of CPU and waits."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.waits = 0.0
        self.emulated = 0.0
        self.emulated_wall = 0.0
        self.handler = threading.get_ident()
        # thread -> [(on CPU, seconds, ended at)]: its CPU between waits, each wait as modelled.
        self.timelines: dict[int, list[tuple[bool, float, float]]] = {}
        self._marks: dict[int, float] = {self.handler: time.thread_time()}
        self._lock = threading.Lock()

    def pause(self) -> None:
        """This thread starts to wait: its CPU since its last mark is a segment of its timeline
        (a worker thread's CPU counts from its start)."""
        ident, now = threading.get_ident(), time.thread_time()
        with self._lock:
            # A thread id is reused once its thread has ended: a mark above this thread's CPU is
            # an ended thread's, and this one's CPU counts from its start.
            mark = self._marks.get(ident, 0.0)
            cpu = now - (mark if mark <= now else 0.0)
            self._marks[ident] = now
            self.timelines.setdefault(ident, []).append((True, cpu, time.perf_counter()))

    def waited(self, seconds: float, own_work: bool) -> None:
        """The wait is over, modelled as `seconds`. Unless `own_work` (a document's HTTP post: the
        client's work is the function's), the thread's CPU meanwhile was AWS's (moto answering)."""
        ident = threading.get_ident()
        with self._lock:
            self.timelines.setdefault(ident, []).append((False, seconds, time.perf_counter()))
            if not own_work:
                self._marks[ident] = time.thread_time()

    def add(self, waits: float = 0.0, emulated: float = 0.0, emulated_wall: float = 0.0) -> None:
        with self._lock:
            self.waits += waits
            self.emulated += emulated
            self.emulated_wall += emulated_wall

    def modelled(self) -> tuple[int, float, float]:
        """(threads, CPU, seconds) as Lambda would run the invocation: the handler's own steps before
        and after its workers, the workers side by side (cost.overlapped_seconds)."""
        self.pause()  # the handler thread's last CPU, up to now
        share = cost.vcpu_share(self.name)
        handler = self.timelines.get(self.handler, [])
        workers = [timeline for ident, timeline in self.timelines.items() if ident != self.handler]
        first = min((timeline[0][2] for timeline in workers if timeline), default=math.inf)
        before = [segment for segment in handler if segment[2] < first]
        after = [segment for segment in handler if segment[2] >= first]
        seconds = sum(
            cost.overlapped_seconds(
                [[(cpu, length) for cpu, length, _ in timeline] for timeline in phase], share
            )
            for phase in ([before], workers, [after])
        )
        cpu = sum(length for timeline in self.timelines.values() for on_cpu, length, _ in timeline if on_cpu)
        return len(self.timelines), cpu, seconds


ACTIVE: contextvars.ContextVar[Account | None] = contextvars.ContextVar("bench_account", default=None)


class RequestCounter:
    """Counts the requests made while a handler runs (not moto's own or the importer's), the items
    they write and read, and each invocation's wall-clock duration, which is what Lambda and
    Express bill (moto's emulation of each request runs inside it, standing in for the network)."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        # Every invocation, in order.
        self.durations: list[Invocation] = []
        self.results: list[tuple[str, Any]] = []
        # DynamoDB write units by function: each single-item write sized by its item before and
        # after it (read from moto's table, not counted as a request); batch puts from the request.
        self.table_units: Counter[str] = Counter()
        # Reads: the keys read item by item (sized after the run, 4 KB a unit, strongly consistent);
        # one unit per Query request (the night's queries read small items).
        self.read: list[Key] = []
        self.query_units = 0
        self.feedback_events = 0
        # The single-item write under way on this thread (sized before and after it).
        self._writing = threading.local()
        self._lock = threading.Lock()

    def dynamodb_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        account = ACTIVE.get()
        if account is None:
            return
        function = account.name
        with self._lock:
            if model.name in {"UpdateItem", "DeleteItem", "PutItem"}:
                key = _key(params["Key"] if model.name != "PutItem" else params["Item"])
                # Sized now and after the call: DynamoDB bills the larger of the two.
                self._writing.item = (key, _stored_bytes(key))
            elif model.name == "BatchWriteItem":
                for requests in params["RequestItems"].values():
                    for request in requests:
                        item = request.get("PutRequest", {}).get("Item")
                        units = cost.write_units(cost.item_bytes(item)) if item else 1
                        self.table_units[function] += units
            elif model.name == "BatchGetItem":
                for table in params["RequestItems"].values():
                    self.read.extend(_key(key) for key in table["Keys"])
            elif model.name == "GetItem":
                self.read.append(_key(params["Key"]))
            elif model.name == "Query":
                self.query_units += 1

    def dynamodb_written(self, **_: Any) -> None:
        """After a single-item write: its units, by the larger of the item before and after."""
        writing = getattr(self._writing, "item", None)
        account = ACTIVE.get()
        if writing is None or account is None:
            return
        self._writing.item = None
        key, before = writing
        with self._lock:
            self.table_units[account.name] += cost.write_units(max(before, _stored_bytes(key)))

    def hook(self, model: Any, **_: Any) -> None:
        account = ACTIVE.get()
        if account is not None:
            service = model.service_model.service_name
            account.add(waits=cost.REQUEST_SECONDS.get(service, cost.REQUEST_SECONDS["default"]))
            with self._lock:
                self.requests[(model.service_model.service_name, model.name)] += 1

    @contextlib.contextmanager
    def timing_emulation(self) -> Iterator[None]:
        """Measures the CPU moto spends answering each request made by a counted invocation, and
        the time each document's post to an operator's API takes, on the invocation's timelines."""
        original, post = BotocoreStubber.__call__, HttpTransport.submit

        def timed(stubber: Any, event_name: str, *args: Any, **kwargs: Any) -> Any:
            account = ACTIVE.get()
            if account is not None:
                account.pause()
            started, wall, queued = time.thread_time(), time.perf_counter(), _run_queue_seconds()
            try:
                return original(stubber, event_name, *args, **kwargs)
            finally:
                if account is not None:
                    # Emulation's wall-clock less its waits for a core (those are counted apart).
                    account.add(
                        emulated=time.thread_time() - started,
                        emulated_wall=time.perf_counter() - wall - (_run_queue_seconds() - queued),
                    )
                    service = event_name.split(".")[1]
                    account.waited(
                        cost.REQUEST_SECONDS.get(service, cost.REQUEST_SECONDS["default"]), own_work=False
                    )

        def posted(transport: HttpTransport, *args: Any, **kwargs: Any) -> None:
            account = ACTIVE.get()
            if account is not None:
                account.pause()
            try:
                post(transport, *args, **kwargs)
            finally:
                if account is not None:
                    account.waited(cost.DOCUMENT_POST_SECONDS, own_work=True)

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign,assignment]
        HttpTransport.submit = posted  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            BotocoreStubber.__call__ = original  # type: ignore[method-assign]
            HttpTransport.submit = post  # type: ignore[method-assign]

    def wrap(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def counted(event: dict[str, Any], context: Any) -> Any:
            name = context.function_name.removeprefix("autodispatch-")
            if name == "RecordDeliveryEvents":
                self.feedback_events += len(event["Records"])
            account = Account(name)
            token = ACTIVE.set(account)
            started, cpu, queued = time.perf_counter(), time.thread_time(), _run_queue_seconds()
            try:
                result = handler(event, context)
                self.results.append((name, result))
                return result
            finally:
                ACTIVE.reset(token)
                # moto answering a request on this thread is AWS's work, not the function's: it is
                # taken out of the CPU, and the request's round trip is counted in `waits` instead.
                wall = time.perf_counter() - started
                threads, threads_cpu, modelled = account.modelled()
                invocation = Invocation(
                    function=name,
                    wall=wall,
                    cpu=time.thread_time() - cpu - account.emulated if threads == 1 else threads_cpu,
                    waits=account.waits,
                    emulated=account.emulated_wall,
                    run_queue=_run_queue_seconds() - queued,
                    threads=threads,
                    modelled=modelled,
                )
                with self._lock:
                    self.durations.append(invocation)

        return counted


def _run_queue_seconds() -> float:
    """The time this thread has waited for a core so far (Linux schedstat: runnable, not running):
    on a shared, loaded machine that is the load's share of the wall-clock, which Lambda's own
    vCPU share would not have."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as stats:
            return int(stats.read().split()[1]) / 1e9
    except OSError:
        return 0.0


def _stored_bytes(key: Key) -> int:
    """The item's size as the local table holds it now (0 when absent), read from moto directly."""
    table = dynamodb_backends[ACCOUNT][REGION].get_table(TABLE_NAME)
    item = table.get_item(DynamoType({"S": key[0]}), DynamoType({"S": key[1]}))
    return 0 if item is None else cost.item_bytes(item.to_json()["Attributes"])


def _key(item: dict[str, Any]) -> Key:
    return item[PARTITION_KEY]["S"], item[SORT_KEY]["S"]


def run(tenants: int, invoices_per_tenant: int, run_date: date = date(2026, 3, 10)) -> dict[str, Any]:
    """Both configurations' nights over the same scenario."""
    return {name: run_night(name, tenants, invoices_per_tenant, run_date) for name in CONFIGURATIONS}


def run_night(configuration: str, tenants: int, invoices_per_tenant: int, run_date: date) -> dict[str, Any]:
    scenario = parse_scenario(synthetic_scenario(tenants, invoices_per_tenant))
    counter = RequestCounter()
    # Every botocore session copies the built-in handlers; mock_aws replaces the default session,
    # so a hook on it would be lost.
    BUILTIN_HANDLERS.append(("before-call", counter.hook))
    BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", counter.dynamodb_params))
    BUILTIN_HANDLERS.append(("after-call.dynamodb", counter.dynamodb_written))
    handlers = {name: counter.wrap(import_handler(module)) for name, module in FUNCTIONS.items()}
    try:
        with (
            StandIns() as services,
            counter.timing_emulation(),
            # One child at a time: concurrent children share this process's one interpreter lock,
            # which would bill each of them for the others' work.
            LocalAws(
                handlers=handlers,
                environment=CONFIGURATIONS[configuration](services),
                max_concurrency=1,
                batch_size=BATCH_SIZE,
                timeouts={"DispatchInvoice": DISPATCH_TIMEOUT_SECONDS},
            ) as local,
        ):
            import_scenario(scenario)
            dynamodb = local.client("dynamodb")
            before = _items(dynamodb)
            started = time.perf_counter()
            # Bounded so `make bench` ends; a night still running fails the bench.
            night = run_nights(local, [run_date], timeout_seconds=WAIT_SECONDS)[0]
            wall = time.perf_counter() - started
            after = _items(dynamodb)
    finally:
        BUILTIN_HANDLERS.remove(("before-call", counter.hook))
        BUILTIN_HANDLERS.remove(("before-parameter-build.dynamodb", counter.dynamodb_params))
        BUILTIN_HANDLERS.remove(("after-call.dynamodb", counter.dynamodb_written))
    invoices = len(scenario.invoices)
    sizes = {key: cost.item_bytes(item) for key, item in (before | after).items()}
    table_units = counter.table_units
    index_units = _index_write_units(before, after)
    read_units = counter.query_units + sum(
        math.ceil(max(sizes.get(key, 0), 1) / 4096) for key in counter.read
    )
    selections = [result for name, result in counter.results if name == "SelectInvoices"]
    state_sizes = [size for (_, sk), size in sizes.items() if sk.startswith("STATE#")]
    return {
        "configuration": configuration,
        "invoices": invoices,
        "tenants": tenants,
        "status": [e.status for e in night.executions],
        "sent": sum(
            1 for (_, sk), item in after.items() if sk.startswith("STATE#") and item["state"]["S"] == "SENT"
        ),
        "wall_seconds": round(wall, 2),
        "batches": sum(selection["batch_count"] for selection in selections),
        "emails": counter.requests.get(("sesv2", "SendEmail"), 0),
        "email_events": counter.feedback_events,
        "lambda_invocations": dict(Counter(name for name, *_ in counter.durations)),
        "document_posts": sum(len(service.received) for service in services.services.values()),
        "lambda_durations": counter.durations,
        "requests": {f"{service}.{op}": n for (service, op), n in sorted(counter.requests.items())},
        "requests_per_invoice": round(sum(counter.requests.values()) / invoices, 3),
        "dynamodb_write_requests": sum(
            n
            for (service, op), n in counter.requests.items()
            if service == "dynamodb" and op in WRITE_OPERATIONS
        ),
        "dynamodb_table_write_units": dict(table_units),
        "dynamodb_index_write_units": index_units,
        "dynamodb_read_units": read_units,
        "state_item_bytes": {
            "max": max(state_sizes, default=0),
            "mean": round(sum(state_sizes) / max(len(state_sizes), 1)),
        },
        "scans": sum(n for (service, op), n in counter.requests.items() if op == "Scan"),
    }


def _index_write_units(before: dict[Key, dict[str, Any]], after: dict[Key, dict[str, Any]]) -> int:
    """What the night's writes cost the sparse pending index: an item that leaves it is one delete,
    one that enters it one put, one whose index key changes a delete and a put, one whose projected
    attributes change an update; each sized as the index item (keys and projected attributes)."""
    units = 0
    for key in before.keys() | after.keys():
        old, new = _index_item(before.get(key)), _index_item(after.get(key))
        if old == new:
            continue
        for item, changed in ((old, new is None or _index_key(old) != _index_key(new)), (new, True)):
            if item is not None and changed:
                units += cost.write_units(cost.item_bytes(item))
    return units


def _index_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None or PENDING_INDEX_PARTITION_KEY not in item:
        return None
    return {name: item[name] for name in (*INDEX_ATTRIBUTES, *PENDING_INDEX_PROJECTED) if name in item}


def _index_key(item: dict[str, Any] | None) -> Any:
    return None if item is None else (item[PENDING_INDEX_PARTITION_KEY], item[PENDING_INDEX_SORT_KEY])


def _items(dynamodb: Any) -> dict[Key, dict[str, Any]]:
    """Every item of the table, by (pk, sk)."""
    found: dict[Key, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE_NAME):
        for item in page["Items"]:
            found[_key(item)] = item
    return found
