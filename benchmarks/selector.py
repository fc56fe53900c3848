"""`python -m benchmarks selector --pending N`: the real selection (select handler, DynamoDB store,
S3 work-list writer) on the real wire: every request is built, signed and sent by botocore, and
answered at `before-send` with the HTTP response DynamoDB or S3 would give, whose body botocore's
own parser reads. The pending index holds N invoices over its shards and 1,000 tenants, paged as
DynamoDB pages a Query (1 MB of index items read), each item shaped as the index stores it and
projected as the request's ProjectionExpression asks.

The measurement runs in a fresh interpreter with the select function's environment, so nothing
else is in its memory. Prints one JSON line: pending, batches, cpu_seconds (the process's CPU less
what answering the requests cost), peak_mb (peak resident memory), the seconds the CPU would take at
the function's vCPU share, and whether the targets hold; exits non-zero when one does not.
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.awsrequest import AWSResponse

from autodispatch.store.table_schema import (
    PARTITION_KEY,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_SORT_KEY,
    PENDING_SHARDS,
    SORT_KEY,
)

TENANTS = 1000
# DynamoDB ends a Query page after 1 MB of items read (before any projection).
PAGE_BYTES = 1024 * 1024
DUE_FROM = "2026-03-09T22:00:00.000000Z"
# Lambda gives a function one vCPU per 1,769 MB of memory (less memory, a proportional share).
MB_PER_VCPU = 1769
# Targets (issue #23): peak memory at least 30 % under the function's memory; CPU within its timeout
# at its vCPU share.
MEMORY_HEADROOM = 0.30


class _Body:
    """What botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


class WireStub:
    """Answers the selection's DynamoDB and S3 requests from a synthetic night of `pending`
    invoices, as HTTP responses for botocore to parse. Tracks the CPU it spends itself."""

    def __init__(self, pending: int, tenant_docs: dict[str, str], source: str) -> None:
        self.pending = pending
        self.tenant_docs = tenant_docs
        self.source = source
        self.uploaded = 0
        self.queries = 0
        self.projections: set[str] = set()
        self.cpu_seconds = 0.0
        self._lock = threading.Lock()
        self.page_items = PAGE_BYTES // _item_bytes(self._index_item(pending))

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-send", self._answer)
        return client

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        started = time.thread_time()
        try:
            target = request.headers.get("X-Amz-Target")
            if target is not None:
                operation = (
                    target.decode().split(".")[-1] if isinstance(target, bytes) else target.split(".")[-1]
                )
                body = json.dumps(getattr(self, f"_{operation}")(json.loads(request.body))).encode()
                headers = {"Content-Type": "application/x-amz-json-1.0"}
                return AWSResponse(request.url, 200, headers, _Body(body))
            return self._s3(request)
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self.cpu_seconds += spent

    # -- DynamoDB ------------------------------------------------------------------------------
    def _index_item(self, n: int) -> dict[str, Any]:
        tenant_id, invoice_id = f"tenant-{n % TENANTS:04d}", f"inv-{n:08d}"
        return {
            PARTITION_KEY: {"S": f"TENANT#{tenant_id}"},
            SORT_KEY: {"S": f"STATE#{invoice_id}"},
            PENDING_INDEX_PARTITION_KEY: {"S": f"PENDING#{n % PENDING_SHARDS:02d}"},
            PENDING_INDEX_SORT_KEY: {"S": f"{DUE_FROM}#{tenant_id}#{invoice_id}"},
            "tenant_id": {"S": tenant_id},
            "invoice_id": {"S": invoice_id},
            "source": {"S": self.source},
            "due_from": {"S": DUE_FROM},
        }

    def _Query(self, params: dict[str, Any]) -> dict[str, Any]:
        values = params["ExpressionAttributeValues"].values()
        shard = int(next(v["S"] for v in values if v["S"].startswith("PENDING#"))[8:])
        start_key = params.get("ExclusiveStartKey")
        start = (
            shard if start_key is None else int(start_key[SORT_KEY]["S"].rsplit("-", 1)[1]) + PENDING_SHARDS
        )
        numbers = range(start, self.pending, PENDING_SHARDS)[: self.page_items]
        projected = _projection(params)
        with self._lock:
            self.queries += 1
            self.projections.add(",".join(sorted(projected)) if projected else "(all)")
        items = []
        for n in numbers:
            item = self._index_item(n)
            items.append({name: item[name] for name in projected} if projected else item)
        page: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if numbers and numbers[-1] + PENDING_SHARDS < self.pending:
            last = self._index_item(numbers[-1])
            page["LastEvaluatedKey"] = {
                name: last[name]
                for name in (PARTITION_KEY, SORT_KEY, PENDING_INDEX_PARTITION_KEY, PENDING_INDEX_SORT_KEY)
            }
        return page

    def _BatchGetItem(self, params: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = params["RequestItems"].items()
        items = [
            {**key, "doc": {"S": self.tenant_docs[key[SORT_KEY]["S"].removeprefix("TENANT#")]}}
            for key in request["Keys"]
        ]
        return {"Responses": {table: items}, "UnprocessedKeys": {}}

    def _PutItem(self, params: dict[str, Any]) -> dict[str, Any]:
        return {}

    # -- S3 --------------------------------------------------------------------------------------
    def _s3(self, request: Any) -> AWSResponse:
        url = urlsplit(request.url)
        query = parse_qs(url.query, keep_blank_values=True)
        key = url.path.rsplit("/", 1)[-1]
        if request.method == "POST" and "uploads" in query:
            return _xml(request, "InitiateMultipartUploadResult", f"<Key>{key}</Key><UploadId>up</UploadId>")
        if request.method == "POST":
            return _xml(request, "CompleteMultipartUploadResult", f'<Key>{key}</Key><ETag>"done"</ETag>')
        if request.method == "PUT":
            self.uploaded += _size(request)
            return AWSResponse(request.url, 200, {"ETag": '"part"'}, _Body(b""))
        return AWSResponse(request.url, 204, {}, _Body(b""))


def _xml(request: Any, root: str, content: str) -> AWSResponse:
    body = f"<{root}><Bucket>b</Bucket>{content}</{root}>".encode()
    return AWSResponse(request.url, 200, {}, _Body(body))


def _projection(params: dict[str, Any]) -> list[str]:
    expression = params.get("ProjectionExpression")
    if expression is None:
        return []
    names = params.get("ExpressionAttributeNames", {})
    return [names.get(part.strip(), part.strip()) for part in expression.split(",")]


def _item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name) + len(value["S"].encode()) for name, value in item.items())


def _size(request: Any) -> int:
    """The object bytes a PUT carries (botocore sends large bodies aws-chunked, with a checksum)."""
    decoded = request.headers.get("X-Amz-Decoded-Content-Length")
    if decoded is not None:
        return int(decoded)
    body = request.body
    if isinstance(body, bytes | bytearray):
        return len(body)
    return len(body.read())


def measure(pending: int) -> dict[str, Any]:
    """In this process: one selection of `pending` invoices through the real handler."""
    # Imported here, after the environment is set, as a Lambda runtime would.
    import boto3  # noqa: PLC0415
    from aws_lambda_powertools.metrics.provider import cold_start  # noqa: PLC0415

    import select_invoices.handler as select  # noqa: PLC0415
    from autodispatch.config import load_config  # noqa: PLC0415
    from autodispatch.models.loading import parse_scenario  # noqa: PLC0415
    from autodispatch.observability import logger  # noqa: PLC0415
    from autodispatch.store.dynamodb import DynamoDbInvoiceStore  # noqa: PLC0415
    from autodispatch.store.work_list import S3WorkLists  # noqa: PLC0415
    from benchmarks.synthetic import synthetic_scenario  # noqa: PLC0415

    logger.setLevel("WARNING")  # stdout carries the one result line
    cold_start.is_cold_start = False  # and no cold-start metric
    warnings.simplefilter("ignore")  # Powertools warns that the disabled metrics are empty
    template = parse_scenario(synthetic_scenario(tenants=1, invoices_per_tenant=1)).tenants[0]
    tenant_docs = {
        f"tenant-{n:04d}": template.model_copy(update={"tenant_id": f"tenant-{n:04d}"}).model_dump_json()
        for n in range(TENANTS)
    }
    stub = WireStub(pending, tenant_docs, next(iter(template.settings.sources)).value)
    config = load_config()
    store = DynamoDbInvoiceStore(config.table_name, config.zone, stub.attach(boto3.client("dynamodb")))
    work_lists = S3WorkLists(config.bucket_name, s3_client=stub.attach(boto3.client("s3")))
    event = {
        "execution_name": "bench-selector",
        "execution_id": "arn:aws:states:eu-north-1:123456789012:execution:bench:bench-selector",
        "started_at": datetime(2026, 3, 10, 0, 5, tzinfo=UTC).isoformat(),
        "input": {"run_date": "2026-03-10"},
    }
    cpu_before = _process_cpu()
    started = time.perf_counter()
    selection = select.handler(event, _Context(), store=store, work_lists=work_lists)
    seconds = time.perf_counter() - started
    cpu = _process_cpu() - cpu_before - stub.cpu_seconds
    if selection["invoice_count"] != pending:
        raise SystemExit(f"selector: selected {selection['invoice_count']} of {pending} pending invoices")
    return {
        "pending": pending,
        "batches": selection["batch_count"],
        "queries": stub.queries,
        "projection": sorted(stub.projections),
        "wall_seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "answering_cpu_seconds": round(stub.cpu_seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "work_list_mb": round(stub.uploaded / 1024 / 1024, 1),
    }


@dataclass
class _Context:
    """What the handler reads of a Lambda context (the local runtime's would import moto here)."""

    function_name: str = "autodispatch-SelectInvoices"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def function_environment() -> dict[str, str]:
    """The select function's environment, with stub credentials."""
    return {
        **os.environ,
        "TABLE_NAME": "autodispatch",
        "BUCKET_NAME": "autodispatch-documents",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_ACCESS_KEY_ID": "stub",
        "AWS_SECRET_ACCESS_KEY": "stub",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def run(pending: int) -> dict[str, Any]:
    """One measurement in a fresh interpreter, judged against the select function's limits."""
    from autodispatch_cli.local.runtime import FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS  # noqa: PLC0415

    answer = subprocess.run(
        [sys.executable, "-m", "benchmarks.selector", "--measure", str(pending)],
        env=function_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    memory, timeout = FUNCTION_MEMORY_MB["SelectInvoices"], FUNCTION_TIMEOUT_SECONDS["SelectInvoices"]
    share = min(1.0, memory / MB_PER_VCPU)
    result["function"] = {"memory_mb": memory, "timeout_seconds": timeout, "vcpu_share": round(share, 3)}
    result["seconds_at_vcpu_share"] = round(result["cpu_seconds"] / share, 1)
    result["memory_ok"] = result["peak_mb"] <= memory * (1 - MEMORY_HEADROOM)
    result["time_ok"] = result["seconds_at_vcpu_share"] <= timeout
    return result


def main(argv: list[str]) -> None:
    pending = int(argv[argv.index("--pending") + 1]) if "--pending" in argv else 100_000
    result = run(pending)
    sys.stdout.write(json.dumps(result) + "\n")
    if not (result["memory_ok"] and result["time_ok"]):
        sys.exit("selector: over the select function's limits (memory_ok/time_ok)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        sys.stdout.write(json.dumps(measure(int(sys.argv[2]))) + "\n")
    else:
        main(sys.argv)
