"""AWS requests per invoice of a nightly run: the local run over a synthetic scenario, with every
request the handlers make counted by service and operation (botocore event hooks)."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from autodispatch.models.loading import parse_scenario
from autodispatch_cli.local.night_run import import_scenario, run_nights
from autodispatch_cli.local.runtime import FUNCTIONS, LocalAws, _import_handler
from benchmarks.synthetic import synthetic_scenario

WAIT_SECONDS = 420.0
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class RequestCounter:
    """Counts the requests made while a handler runs (not moto's own or the importer's)."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        self._active = threading.local()
        self._lock = threading.Lock()

    def hook(self, model: Any, **_: Any) -> None:
        if getattr(self._active, "on", False):
            with self._lock:
                self.requests[(model.service_model.service_name, model.name)] += 1

    def wrap(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def counted(event: dict[str, Any], context: Any) -> Any:
            self._active.on = True
            try:
                return handler(event, context)
            finally:
                self._active.on = False

        return counted


def run(
    tenants: int = 50, invoices_per_tenant: int = 100, run_date: date = date(2026, 3, 10)
) -> dict[str, Any]:
    scenario = parse_scenario(synthetic_scenario(tenants, invoices_per_tenant))
    counter = RequestCounter()
    # Every botocore session copies the built-in handlers; mock_aws replaces the default session,
    # so a hook on it would be lost.
    BUILTIN_HANDLERS.append(("before-call", counter.hook))
    handlers = {name: counter.wrap(_import_handler(module)) for name, module in FUNCTIONS.items()}
    try:
        with LocalAws(handlers=handlers) as local:
            import_scenario(scenario)
            started = time.perf_counter()
            # Bounded so `make bench` ends within 10 minutes; a night still running fails the bench.
            night = run_nights(local, [run_date], timeout_seconds=WAIT_SECONDS)[0]
            wall = time.perf_counter() - started
            invocations = Counter(name for name, _ in local.invocations)
    finally:
        BUILTIN_HANDLERS.remove(("before-call", counter.hook))
    invoices = len(scenario.invoices)
    ddb_writes = sum(
        n for (service, op), n in counter.requests.items() if service == "dynamodb" and op in WRITE_OPERATIONS
    )
    return {
        "invoices": invoices,
        "tenants": tenants,
        "status": [e.status for e in night.executions],
        "wall_seconds": round(wall, 2),
        "lambda_invocations": dict(invocations),
        "requests": {f"{service}.{op}": n for (service, op), n in sorted(counter.requests.items())},
        "requests_per_invoice": round(sum(counter.requests.values()) / invoices, 3),
        "dynamodb_writes_per_invoice": round(ddb_writes / invoices, 3),
        "scans": sum(n for (service, op), n in counter.requests.items() if op == "Scan"),
    }
