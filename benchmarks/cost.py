"""Infrastructure cost per 1,000,000 invoices, from a measured night: request counts, DynamoDB write
units by the size of each item written, Lambda time per function. Prices: benchmarks/prices.py."""

import math
from collections.abc import Mapping
from typing import Any

from benchmarks import prices

MILLION = 1_000_000
# Each function's memory as deployed (cdk/constructs/functions.py), in GB.
FUNCTION_MEMORY_GB = {
    "SelectInvoices": 0.5,
    "DispatchInvoice": 1.0,
    "NotifyFailures": 0.5,
    "RecordDeliveryEvents": 0.5,
}
# Standard state transitions of a run besides the map's children: select, choice, map, notify, end.
RUN_TRANSITIONS = 6


def item_bytes(value: Mapping[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (typed wire format)."""
    return sum(len(name.encode()) + _value_bytes(typed) for name, typed in value.items())


def _value_bytes(typed: Mapping[str, Any]) -> int:
    ((kind, value),) = typed.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return len(value.strip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(value)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_bytes(element) for element in value)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_bytes(element) for name, element in value.items())
    return sum(len(element.encode()) if isinstance(element, str) else len(element) for element in value)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def cost_per_million(night: Mapping[str, Any]) -> dict[str, float]:
    """USD per 1,000,000 invoices by service, scaled from the measured night."""
    scale = MILLION / night["invoices"]
    requests: Mapping[str, int] = night["requests"]
    seconds: Mapping[str, float] = night["lambda_seconds"]
    invocations: Mapping[str, int] = night["lambda_invocations"]
    children = invocations.get("DispatchInvoice", 0)
    lambda_usd = sum(
        invocations[name] * prices.LAMBDA_REQUEST
        + seconds[name] * FUNCTION_MEMORY_GB[name] * prices.LAMBDA_GB_SECOND
        for name in invocations
    )
    express_usd = (
        children * prices.EXPRESS_REQUEST
        + seconds.get("DispatchInvoice", 0.0) * prices.EXPRESS_MEMORY_GB * prices.EXPRESS_GB_SECOND
    )
    return {
        "dynamodb_writes": night["dynamodb_write_units"] * prices.DYNAMODB_WRITE_UNIT * scale,
        "dynamodb_reads": night["dynamodb_read_units"] * prices.DYNAMODB_READ_UNIT * scale,
        "s3_put": requests.get("s3.PutObject", 0) * prices.S3_PUT * scale,
        "s3_get": requests.get("s3.GetObject", 0) * prices.S3_GET * scale,
        "lambda": lambda_usd * scale,
        "step_functions": (RUN_TRANSITIONS * prices.STANDARD_TRANSITION + express_usd) * scale,
    }


def table(costs: Mapping[str, float]) -> str:
    lines = [f"{'per 1,000,000 invoices':<24}{'USD':>10}"]
    lines += [f"{name:<24}{usd:>10.2f}" for name, usd in costs.items()]
    total = sum(costs.values())
    lines += [f"{'total':<24}{total:>10.2f}", f"infra_usd_per_million_invoices={total:.2f}"]
    return "\n".join(lines)
