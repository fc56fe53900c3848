"""Infrastructure cost per 1,000,000 invoices, billed as AWS bills, from a measured night: DynamoDB
write units of the table and of the pending index, each write sized by the larger of its item
before and after it (as DynamoDB bills an update), read units,
S3 requests, every Lambda invocation at its function's memory for its duration (rounded up to the
millisecond), the Standard run's transitions (its own and one per Distributed Map child) and each
Express child's request and duration (rounded up to 100 ms, 64 MB), and the delivery feedback
path's queue. SES's own fees are not infrastructure and are shown apart.

Duration, as Lambda bills it, from the invocation's measured wall-clock: less the time its thread
waited for a core of this shared machine (Linux schedstat), which Lambda's own share would not
have, and less moto answering its requests in-process, replaced by an in-region round trip for each
(REQUEST_SECONDS) and for each document posted to an operator's API (DOCUMENT_POST_SECONDS); its CPU
then stretched to the vCPU share its memory gets (one vCPU per 1,769 MB). The CPU-only estimate
(CPU at the share plus the round trips, as if it waited for nothing else) is printed beside it.
An invocation that ran on several threads (a dispatch's workers) is taken from its threads' timelines
instead (`overlapped_seconds`): here moto answers their requests one thread at a time under the
interpreter lock, so its wall-clock says nothing of Lambda's.

One night of 1,000,000 invoices is one run: the run's own transitions and its select and notify
invocations are counted once, their durations scaled; everything per batch or per invoice scales.
Prices: benchmarks/prices.py.
"""

import json
import math
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from autodispatch_cli.local.runtime import FUNCTION_MEMORY_MB
from benchmarks import prices
from cdk.settings import INDEX_READ_UNITS_AT_NIGHT as SELECTION_READ_UNITS
from cdk.settings import TARGET_UTILIZATION_PERCENT, DeploySettings

MILLION = 1_000_000
MB_PER_VCPU = 1769
# Assumed in-region round trips (seconds) that an invocation waits for, by service; a document
# posted to the e-invoice operator's or print service's API (outside AWS) waits DOCUMENT_POST_SECONDS.
REQUEST_SECONDS = {"dynamodb": 0.006, "s3": 0.025, "sesv2": 0.040, "sns": 0.030, "default": 0.020}
DOCUMENT_POST_SECONDS = 0.100
# Standard transitions of a run besides the map's children: SelectDueInvoices, AnyInvoicesDue,
# DispatchInvoiceBatches, PlanNotifications, NotifyTenants, one NotifyChunk (up to 100 tenants to
# notify; each further 100 add one, $0.000025), FinishNotifications, RunComplete.
RUN_TRANSITIONS = 8
# Functions invoked once per night, whatever its size.
PER_NIGHT = {"SelectInvoices", "NotifyFailures"}
# SQS requests per delivery event: EventBridge's SendMessage, and the event source mapping's
# ReceiveMessage and DeleteMessageBatch shared by up to ten messages.
SQS_REQUESTS_PER_EVENT = 1 + 2 / 10
# R23's write floor per invoice: claim, outcome, pending-index delete.
WRITE_UNITS_FLOOR = 3
# Targets (issue #23): USD per 1,000,000 invoices, billed as AWS bills.
TARGETS = {"http": 3.00, "s3_outbox": 5.00}


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


class Invocation(NamedTuple):
    """One invocation as the bench measured it, in seconds."""

    function: str
    # Wall-clock here, start to end.
    wall: float
    # The function's own CPU (its thread's, less moto answering its requests).
    cpu: float
    # The in-region round trips its AWS requests would wait for (REQUEST_SECONDS each).
    waits: float
    # moto answering its requests (standing in for those round trips), less waits for a core.
    emulated: float
    # Waiting for a core of this shared machine (Linux schedstat), outside the emulation.
    run_queue: float
    # The threads it ran on (a dispatch's workers besides its handler's), and its duration as Lambda
    # would run them side by side (`overlapped_seconds` of their timelines).
    threads: int = 1
    modelled: float = 0.0

    def own_wall(self) -> float:
        """The wall-clock on a core of its own, without AWS's side: its CPU and whatever it waited
        for besides (the stand-in services' answers, locks, other threads)."""
        return max(self.cpu, self.wall - self.run_queue - self.emulated)


def vcpu_share(name: str) -> float:
    return min(1.0, FUNCTION_MEMORY_MB[name] / MB_PER_VCPU)


def lambda_seconds(invocation: Invocation, posting: float = 0.0) -> float:
    """An invocation's duration in Lambda, from its measured wall-clock: its own time here, its CPU
    stretched to the vCPU share its memory gets, and the round trips of its requests and posts.
    An invocation on several threads is taken from its threads' timelines instead (`modelled`):
    here their requests are answered by moto in-process, one thread at a time under the
    interpreter lock, so its wall-clock says nothing of Lambda's."""
    if invocation.threads > 1:
        return invocation.modelled
    stretch = invocation.cpu * (1 / vcpu_share(invocation.function) - 1)
    return invocation.own_wall() + stretch + invocation.waits + posting


def estimated_seconds(invocation: Invocation, posting: float = 0.0) -> float:
    """The same from CPU alone (as if it never waited but for AWS): what measuring adds to it is
    the time the invocation spent waiting on something else."""
    if invocation.threads > 1:
        return invocation.modelled
    return invocation.cpu / vcpu_share(invocation.function) + invocation.waits + posting


def overlapped_seconds(timelines: Sequence[Sequence[tuple[bool, float]]], share: float) -> float:
    """How long threads take side by side, each going through its timeline of CPU segments
    (seconds of one full core) and waits (seconds), on `share` of a vCPU: the threads on CPU at a
    moment share it equally (none faster than one core), waits pass alongside. One thread: its CPU
    stretched to the share plus its waits."""
    pending = [deque(timeline) for timeline in timelines if timeline]
    current = [list(queue.popleft()) for queue in pending]
    elapsed = 0.0
    while current:
        computing = sum(1 for on_cpu, _ in current if on_cpu)
        rate = min(1.0, share / computing) if computing else 0.0
        # Until the first segment under way ends.
        step = min(left / rate if on_cpu else left for on_cpu, left in current)
        elapsed += step
        for segment in current:
            segment[1] -= step * rate if segment[0] else step
        still: list[list[Any]] = []
        for index, segment in enumerate(current):
            if segment[1] > 1e-12:
                still.append(segment)
            elif pending[index]:
                still.append(list(pending[index].popleft()))
            else:
                still.append([])
        keep = [index for index, segment in enumerate(still) if segment]
        current = [still[index] for index in keep]
        pending = [pending[index] for index in keep]
    return elapsed


def _lambda_usd(name: str, seconds: float) -> float:
    billed = math.ceil(seconds * 1000) / 1000
    return prices.LAMBDA_REQUEST + billed * FUNCTION_MEMORY_MB[name] / 1024 * prices.LAMBDA_GB_SECOND


def billed_durations(night: Mapping[str, Any], estimate: bool = False) -> list[tuple[str, float]]:
    """(function, seconds) of each invocation as Lambda bills it (or the CPU-only estimate). The
    documents a night posted wait in the dispatch invocations, shared evenly."""
    invocations = [Invocation(*invocation) for invocation in night["lambda_durations"]]
    dispatches = sum(1 for invocation in invocations if invocation.function == "DispatchInvoice")
    posting = night["document_posts"] * DOCUMENT_POST_SECONDS / max(dispatches, 1)
    seconds = estimated_seconds if estimate else lambda_seconds
    return [
        (
            invocation.function,
            seconds(invocation, posting if invocation.function == "DispatchInvoice" else 0.0),
        )
        for invocation in invocations
    ]


def cost_per_million(night: Mapping[str, Any], estimate: bool = False) -> dict[str, float]:
    """USD per 1,000,000 invoices by item, scaled from the measured night."""
    scale = MILLION / night["invoices"]
    requests: Mapping[str, int] = night["requests"]
    durations = billed_durations(night, estimate)
    lambda_usd = {
        "per_night": sum(_lambda_usd(name, s) for name, s in durations if name in PER_NIGHT),
        "per_batch": sum(_lambda_usd(name, s) for name, s in durations if name == "DispatchInvoice"),
        "feedback": sum(_lambda_usd(name, s) for name, s in durations if name == "RecordDeliveryEvents"),
    }
    # The Express child of a batch lasts as long as its invocations (retries' waits aside).
    child_seconds = sum(math.ceil(s * 10) / 10 for name, s in durations if name == "DispatchInvoice")
    express_usd = (
        night["batches"] * prices.EXPRESS_REQUEST
        + child_seconds * prices.EXPRESS_MEMORY_GB * prices.EXPRESS_GB_SECOND
    )
    table_units: Mapping[str, int] = night["dynamodb_table_write_units"]
    feedback_units = table_units.get("RecordDeliveryEvents", 0)
    # Selection's and notification's durations grow with the night (scaled); their requests do not.
    per_night_requests = sum(1 for name, _ in durations if name in PER_NIGHT) * prices.LAMBDA_REQUEST
    return {
        "dynamodb_writes_table": (sum(table_units.values()) - feedback_units)
        * prices.DYNAMODB_WRITE_UNIT
        * scale,
        "dynamodb_writes_index": night["dynamodb_index_write_units"] * prices.DYNAMODB_WRITE_UNIT * scale,
        "dynamodb_reads": night["dynamodb_read_units"] * prices.DYNAMODB_READ_UNIT * scale,
        "s3_put": requests.get("s3.PutObject", 0) * prices.S3_PUT * scale,
        "s3_get": requests.get("s3.GetObject", 0) * prices.S3_GET * scale,
        "lambda_select_notify": (lambda_usd["per_night"] - per_night_requests) * scale + per_night_requests,
        "lambda_dispatch": lambda_usd["per_batch"] * scale,
        "step_functions_standard": (RUN_TRANSITIONS + night["batches"] * scale) * prices.STANDARD_TRANSITION,
        "step_functions_express": express_usd * scale,
        "delivery_feedback_writes": feedback_units * prices.DYNAMODB_WRITE_UNIT * scale,
        "delivery_feedback_other": (
            lambda_usd["feedback"] + night["email_events"] * SQS_REQUESTS_PER_EVENT * prices.SQS_REQUEST
        )
        * scale,
    }


# Provisioned capacity (cdk.json tableCapacity=provisioned; cdk/settings.py): the night's units are
# provisioned at this use, and the day keeps a minimum on the table and on the index (both reads and
# writes) for the hours the night's capacity is not scheduled; the index's reads at the night's start
# are held for the night.
PROVISIONED_USE = TARGET_UTILIZATION_PERCENT / 100
CAPACITY_MODES = ("night", "on_demand", "provisioned")
DYNAMODB_ROWS = (
    "dynamodb_writes_table",
    "dynamodb_writes_index",
    "delivery_feedback_writes",
    "dynamodb_reads",
)
DAY_UNITS = 5
NIGHT_HOURS = 8
INDEX_READ_UNITS_AT_NIGHT = SELECTION_READ_UNITS


def _night_capacity_usd(night: Mapping[str, Any]) -> float:
    """The night's provisioned capacity per 1,000,000 invoices: every write and read unit the night
    measured, served at PROVISIONED_USE of what is provisioned while it runs (unit-seconds to
    unit-hours), plus the index's reads for selection, once a night."""
    scale = MILLION / night["invoices"]
    table_units: Mapping[str, int] = night["dynamodb_table_write_units"]
    writes = (sum(table_units.values()) + night["dynamodb_index_write_units"]) * scale
    reads = night["dynamodb_read_units"] * scale
    night_usd = (writes * prices.DYNAMODB_WCU_HOUR + reads * prices.DYNAMODB_RCU_HOUR) / (
        PROVISIONED_USE * 3600
    )
    selection_usd = INDEX_READ_UNITS_AT_NIGHT * NIGHT_HOURS * prices.DYNAMODB_RCU_HOUR
    return night_usd + selection_usd


def provisioned_dynamodb_per_million(night: Mapping[str, Any]) -> float:
    """DynamoDB per 1,000,000 invoices on provisioned capacity (`tableCapacity=provisioned`): the
    night's capacity, plus the day's minimum on table and index, paid whatever the night's size."""
    day_hours = 24 - NIGHT_HOURS
    day_usd = 2 * DAY_UNITS * day_hours * (prices.DYNAMODB_WCU_HOUR + prices.DYNAMODB_RCU_HOUR)
    return _night_capacity_usd(night) + day_usd


def night_dynamodb_per_million(night: Mapping[str, Any]) -> float:
    """DynamoDB per 1,000,000 invoices on demand by day and provisioned for the night
    (`tableCapacity=night`, the default): the night's capacity only; the day's requests are on
    demand, billed per request, and are not the night's."""
    return _night_capacity_usd(night)


def default_capacity() -> str:
    """The `tableCapacity` a deployment from this checkout gets (cdk.json; the settings' default)."""
    context = json.loads((Path(__file__).resolve().parents[1] / "cdk.json").read_text())["context"]
    return str(DeploySettings.model_validate(context).table_capacity)


def dynamodb_per_million(night: Mapping[str, Any], capacity: str) -> float:
    """DynamoDB per 1,000,000 invoices in a `tableCapacity` mode (the night's writes and reads)."""
    if capacity == "provisioned":
        return provisioned_dynamodb_per_million(night)
    if capacity == "night":
        return night_dynamodb_per_million(night)
    return on_demand_dynamodb_per_million(cost_per_million(night))


def on_demand_dynamodb_per_million(costs: Mapping[str, float]) -> float:
    """The on-demand DynamoDB rows of a night's cost (writes of table, index and feedback, reads)."""
    return sum(costs[row] for row in DYNAMODB_ROWS)


def total_per_million(night: Mapping[str, Any], capacity: str) -> float:
    """The night's infrastructure per 1,000,000 invoices with the table in a `tableCapacity` mode."""
    costs = cost_per_million(night)
    return sum(costs.values()) - on_demand_dynamodb_per_million(costs) + dynamodb_per_million(night, capacity)


def ses_per_million(night: Mapping[str, Any]) -> float:
    """SES's own fee for the night's emails, per 1,000,000 invoices (apart from infrastructure)."""
    return night["emails"] * prices.SES_EMAIL * MILLION / night["invoices"]


def writes_at_floor_per_million(night: Mapping[str, Any]) -> float:
    """R23's floor: a claim before the send, the outcome after it and the pending index's delete
    that the outcome causes, one unit each (items under 1 KB), and one write per delivery event."""
    units = WRITE_UNITS_FLOOR * night["invoices"] + night["email_events"]
    return units * prices.DYNAMODB_WRITE_UNIT * MILLION / night["invoices"]


def write_units_per_invoice(night: Mapping[str, Any]) -> dict[str, float]:
    invoices = night["invoices"]
    table_units: Mapping[str, int] = night["dynamodb_table_write_units"]
    feedback = table_units.get("RecordDeliveryEvents", 0)
    return {
        "table": round((sum(table_units.values()) - feedback) / invoices, 3),
        "index": round(night["dynamodb_index_write_units"] / invoices, 3),
        "delivery_feedback": round(feedback / invoices, 3),
    }


def table(
    costs: Mapping[str, Mapping[str, float]],
    ses: float,
    estimates: Mapping[str, float],
    writes_floor: Mapping[str, float],
    dynamodb_by_capacity: Mapping[str, Mapping[str, float]],
    default_capacity: str,
) -> str:
    """One column per configuration; the rows bill DynamoDB on demand, and each capacity mode's
    lines replace those rows by what that mode bills. The last line is production's (HTTP) total
    in the deployed default mode (cdk.json `tableCapacity`)."""
    names = list(costs)
    lines = [f"{'USD per 1,000,000 invoices':<28}" + "".join(f"{name:>12}" for name in names)]
    for item in next(iter(costs.values())):
        lines.append(f"{item:<28}" + "".join(f"{costs[name][item]:>12.2f}" for name in names))
    on_demand_totals = {name: sum(costs[name].values()) for name in names}
    lines.append(f"{'total, on demand':<28}" + "".join(f"{on_demand_totals[name]:>12.2f}" for name in names))
    lines.append(f"{'(CPU-only estimate)':<28}" + "".join(f"{estimates[name]:>12.2f}" for name in names))
    writes = {
        name: on_demand_dynamodb_per_million(costs[name]) - costs[name]["dynamodb_reads"] for name in names
    }
    lines.append(f"{'(DynamoDB writes)':<28}" + "".join(f"{writes[name]:>12.2f}" for name in names))
    lines.append(
        f"{'(writes at the R23 floor)':<28}" + "".join(f"{writes_floor[name]:>12.2f}" for name in names)
    )
    totals: dict[str, dict[str, float]] = {"on_demand": on_demand_totals}
    for capacity, dynamodb in dynamodb_by_capacity.items():
        if capacity == "on_demand":
            continue
        totals[capacity] = {
            name: on_demand_totals[name] - on_demand_dynamodb_per_million(costs[name]) + dynamodb[name]
            for name in names
        }
        lines.append(
            f"{f'(DynamoDB, {capacity})':<28}" + "".join(f"{dynamodb[name]:>12.2f}" for name in names)
        )
        lines.append(
            f"{f'total, {capacity}':<28}" + "".join(f"{totals[capacity][name]:>12.2f}" for name in names)
        )
    lines.append(f"{'target':<28}" + "".join(f"{TARGETS[name]:>12.2f}" for name in names))
    lines.append(f"{'SES sending (apart)':<28}{ses:>12.2f}")
    lines.append(f"default capacity: {default_capacity}")
    lines.append(f"infra_usd_per_million_invoices={totals[default_capacity]['http']:.2f}")
    return "\n".join(lines)
