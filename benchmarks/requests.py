"""AWS requests per invoice of a nightly run: the local run over a synthetic scenario, with every
request the handlers make counted by service and operation (botocore event hooks).

The night runs as deployed for production: EINVOICE and PRINT go over HTTP to the e-invoice
operator's and the print service's APIs (a stand-in on 127.0.0.1 here, answering every document
with 202), email through SES, each batch's copies archived in one S3 object.
"""

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from autodispatch.models.loading import parse_scenario
from autodispatch.models.routes import CONFIGURED_TRANSPORTS
from autodispatch.store.table_schema import PARTITION_KEY, SORT_KEY
from autodispatch_cli.local.night_run import import_scenario, run_nights
from autodispatch_cli.local.runtime import FUNCTIONS, TABLE_NAME, LocalAws, import_handler
from benchmarks import cost
from benchmarks.synthetic import synthetic_scenario

WAIT_SECONDS = 420.0
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class RequestCounter:
    """Counts the requests made while a handler runs (not moto's own or the importer's), the items
    they write and read, and each function's time: the CPU time of the thread running it, which a
    busy machine does not inflate (moto's emulation on that thread makes it an upper bound)."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        self.seconds: Counter[str] = Counter()
        # DynamoDB writes: the (pk, sk) of each UpdateItem/PutItem, sized after the run; the write
        # units of batch puts, sized from the request.
        self.updated: list[tuple[str, str]] = []
        self.batch_write_units = 0
        self.read_units = 0
        self._active = threading.local()
        self._lock = threading.Lock()

    def dynamodb_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not getattr(self._active, "on", False):
            return
        with self._lock:
            if model.name in {"UpdateItem", "DeleteItem"}:
                self.updated.append((params["Key"][PARTITION_KEY]["S"], params["Key"][SORT_KEY]["S"]))
            elif model.name == "PutItem":
                self.updated.append((params["Item"][PARTITION_KEY]["S"], params["Item"][SORT_KEY]["S"]))
            elif model.name == "BatchWriteItem":
                for requests in params["RequestItems"].values():
                    for request in requests:
                        item = request.get("PutRequest", {}).get("Item")
                        self.batch_write_units += cost.write_units(cost.item_bytes(item)) if item else 1
            elif model.name == "BatchGetItem":
                self.read_units += sum(len(table["Keys"]) for table in params["RequestItems"].values())
            elif model.name in {"GetItem", "Query"}:
                self.read_units += 1

    def hook(self, model: Any, **_: Any) -> None:
        if getattr(self._active, "on", False):
            with self._lock:
                self.requests[(model.service_model.service_name, model.name)] += 1

    def wrap(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def counted(event: dict[str, Any], context: Any) -> Any:
            self._active.on = True
            started = time.thread_time()
            try:
                return handler(event, context)
            finally:
                self._active.on = False
                with self._lock:
                    self.seconds[context.function_name.removeprefix("autodispatch-")] += (
                        time.thread_time() - started
                    )

        return counted


def run(
    tenants: int = 50, invoices_per_tenant: int = 100, run_date: date = date(2026, 3, 10)
) -> dict[str, Any]:
    scenario = parse_scenario(synthetic_scenario(tenants, invoices_per_tenant))
    counter = RequestCounter()
    # Every botocore session copies the built-in handlers; mock_aws replaces the default session,
    # so a hook on it would be lost.
    BUILTIN_HANDLERS.append(("before-call", counter.hook))
    BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", counter.dynamodb_params))
    handlers = {name: counter.wrap(import_handler(module)) for name, module in FUNCTIONS.items()}
    try:
        with (
            _document_services() as url,
            LocalAws(handlers=handlers, environment=_http_transports(url)) as local,
        ):
            import_scenario(scenario)
            started = time.perf_counter()
            # Bounded so `make bench` ends within 10 minutes; a night still running fails the bench.
            night = run_nights(local, [run_date], timeout_seconds=WAIT_SECONDS)[0]
            wall = time.perf_counter() - started
            invocations = Counter(name for name, _ in local.invocations)
            sizes = _item_sizes(local.client("dynamodb"))
    finally:
        BUILTIN_HANDLERS.remove(("before-call", counter.hook))
        BUILTIN_HANDLERS.remove(("before-parameter-build.dynamodb", counter.dynamodb_params))
    invoices = len(scenario.invoices)
    ddb_writes = sum(
        n for (service, op), n in counter.requests.items() if service == "dynamodb" and op in WRITE_OPERATIONS
    )
    write_units = counter.batch_write_units + sum(
        cost.write_units(sizes.get(key, 0)) for key in counter.updated
    )
    state_sizes = [size for (_, sk), size in sizes.items() if sk.startswith("STATE#")]
    return {
        "invoices": invoices,
        "tenants": tenants,
        "status": [e.status for e in night.executions],
        "wall_seconds": round(wall, 2),
        "lambda_invocations": dict(invocations),
        "requests": {f"{service}.{op}": n for (service, op), n in sorted(counter.requests.items())},
        "requests_per_invoice": round(sum(counter.requests.values()) / invoices, 3),
        "dynamodb_writes_per_invoice": round(ddb_writes / invoices, 3),
        "dynamodb_write_units": write_units,
        "dynamodb_write_units_per_invoice": round(write_units / invoices, 3),
        "dynamodb_read_units": counter.read_units,
        "state_item_bytes": {
            "max": max(state_sizes, default=0),
            "mean": round(sum(state_sizes) / max(len(state_sizes), 1)),
        },
        "lambda_seconds": {name: round(value, 2) for name, value in counter.seconds.items()},
        "scans": sum(n for (service, op), n in counter.requests.items() if op == "Scan"),
    }


class _AcceptingService(BaseHTTPRequestHandler):
    """The operator's and print service's APIs: every document accepted."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextlib.contextmanager
def _document_services() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AcceptingService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/documents"
    finally:
        server.shutdown()
        server.server_close()


def _http_transports(url: str) -> dict[str, str]:
    """Every route transport (models/routes.py) to the stand-in."""
    environment: dict[str, str] = {}
    for name in CONFIGURED_TRANSPORTS:
        environment |= {f"{name.upper()}_TRANSPORT": "http", f"{name.upper()}_ENDPOINT": url}
    return environment


def _item_sizes(dynamodb: Any) -> dict[tuple[str, str], int]:
    """Every item's size after the night, by (pk, sk)."""
    sizes: dict[tuple[str, str], int] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE_NAME):
        for item in page["Items"]:
            sizes[(item[PARTITION_KEY]["S"], item[SORT_KEY]["S"])] = cost.item_bytes(item)
    return sizes
