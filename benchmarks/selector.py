"""`python -m benchmarks selector --pending N`: the real selection (select handler, DynamoDB store,
S3 work-list writer) against stubbed AWS responses, with N pending invoices over the index shards.

The boto3 clients are real; a botocore `before-call` hook answers each request from a synthetic
index (pages of up to 1 MB, as DynamoDB returns them), tenant records and S3, so what is measured
is our code: paging, tenant lookups, batching, the streamed upload. Prints one JSON line:
{"pending", "batches", "seconds", "peak_mb"} (peak resident memory of this process).
"""

import io
import json
import os
import resource
import sys
import time
import warnings
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from autodispatch.models.loading import parse_scenario
from autodispatch.store.table_schema import PARTITION_KEY, PENDING_SHARDS, SORT_KEY
from benchmarks.synthetic import synthetic_scenario

TENANTS = 1000
# About 1 MB of index items per Query page, as DynamoDB pages them.
PAGE_ITEMS = 5000
DUE_FROM = "2026-03-09T22:00:00.000000Z"


class StubbedAws:
    """Answers DynamoDB and S3 requests of the selection from a synthetic night of `pending` invoices."""

    def __init__(self, pending: int) -> None:
        self.pending = pending
        scenario = parse_scenario(synthetic_scenario(tenants=1, invoices_per_tenant=1))
        template = scenario.tenants[0]
        self.source = next(iter(template.settings.sources)).value
        self.tenant_doc = {
            f"tenant-{n:04d}": template.model_copy(update={"tenant_id": f"tenant-{n:04d}"}).model_dump_json()
            for n in range(TENANTS)
        }
        self.uploaded = 0

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build", self._remember)
        client.meta.events.register("before-call", self._answer)
        return client

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["api_params"] = params

    def _answer(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context["api_params"]
        parsed = getattr(self, f"_{model.name}")(params)
        return AWSResponse("https://stub", 200, {}, None), {
            **parsed,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def _Query(self, params: dict[str, Any]) -> dict[str, Any]:
        shard = int(
            next(
                v["S"] for v in params["ExpressionAttributeValues"].values() if v["S"].startswith("PENDING#")
            )[8:]
        )
        start = int(params.get("ExclusiveStartKey", {}).get("n", {}).get("N", shard))
        numbers = range(start, self.pending, PENDING_SHARDS)[:PAGE_ITEMS]
        items = [
            {
                "tenant_id": {"S": f"tenant-{n % TENANTS:04d}"},
                "invoice_id": {"S": f"inv-{n:08d}"},
                "source": {"S": self.source},
                "due_from": {"S": DUE_FROM},
            }
            for n in numbers
        ]
        following = numbers[-1] + PENDING_SHARDS if numbers else self.pending
        page: dict[str, Any] = {"Items": items, "Count": len(items)}
        if following < self.pending:
            page["LastEvaluatedKey"] = {"n": {"N": str(following)}}
        return page

    def _BatchGetItem(self, params: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = params["RequestItems"].items()
        items = []
        for key in request["Keys"]:
            tenant_id = key[SORT_KEY]["S"].removeprefix("TENANT#")
            if tenant_id in self.tenant_doc:
                items.append(
                    {
                        PARTITION_KEY: key[PARTITION_KEY],
                        SORT_KEY: key[SORT_KEY],
                        "doc": {"S": self.tenant_doc[tenant_id]},
                    }
                )
        return {"Responses": {table: items}, "UnprocessedKeys": {}}

    def _PutItem(self, params: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _PutObject(self, params: dict[str, Any]) -> dict[str, Any]:
        self.uploaded += _size(params["Body"])
        return {"ETag": '"stub"'}

    def _CreateMultipartUpload(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"UploadId": "stub-upload", "Bucket": params["Bucket"], "Key": params["Key"]}

    def _UploadPart(self, params: dict[str, Any]) -> dict[str, Any]:
        self.uploaded += _size(params["Body"])
        return {"ETag": f'"part-{params["PartNumber"]}"'}

    def _CompleteMultipartUpload(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Bucket": params["Bucket"], "Key": params["Key"]}


def _size(body: Any) -> int:
    """S3 request bodies reach the hook as bytes or as the file object botocore wrapped them in."""
    return body.getbuffer().nbytes if isinstance(body, io.BytesIO) else len(body)


def run(pending: int) -> dict[str, Any]:
    os.environ.update(
        {
            "TABLE_NAME": "autodispatch",
            "BUCKET_NAME": "autodispatch-documents",
            "AWS_DEFAULT_REGION": "eu-north-1",
            "AWS_ACCESS_KEY_ID": "stub",
            "AWS_SECRET_ACCESS_KEY": "stub",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    # Imported here, after the environment is set, as a Lambda runtime would.
    from aws_lambda_powertools.metrics.provider import cold_start  # noqa: PLC0415

    import select_invoices.handler as select  # noqa: PLC0415
    from autodispatch.config import load_config  # noqa: PLC0415
    from autodispatch.observability import logger  # noqa: PLC0415
    from autodispatch.store.dynamodb import DynamoDbInvoiceStore  # noqa: PLC0415
    from autodispatch.store.work_list import S3WorkLists  # noqa: PLC0415
    from autodispatch_cli.local.runtime import LocalLambdaContext  # noqa: PLC0415

    logger.setLevel("WARNING")  # stdout carries the one result line
    cold_start.is_cold_start = False  # and no cold-start metric
    warnings.simplefilter("ignore")  # Powertools warns that the disabled metrics are empty

    aws = StubbedAws(pending)
    config = load_config()
    store = DynamoDbInvoiceStore(config.table_name, config.zone, aws.attach(boto3.client("dynamodb")))
    work_lists = S3WorkLists(config.bucket_name, s3_client=aws.attach(boto3.client("s3")))
    event = {
        "execution_name": "bench-selector",
        "execution_id": "arn:aws:states:eu-north-1:123456789012:execution:bench:bench-selector",
        "started_at": datetime(2026, 3, 10, 0, 5, tzinfo=UTC).isoformat(),
        "input": {"run_date": "2026-03-10"},
    }
    started = time.perf_counter()
    selection = select.handler(event, LocalLambdaContext("select"), store=store, work_lists=work_lists)
    seconds = time.perf_counter() - started
    if selection["invoice_count"] != pending:
        raise SystemExit(f"selector: selected {selection['invoice_count']} of {pending} pending invoices")
    return {
        "pending": pending,
        "batches": selection["batch_count"],
        "seconds": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "work_list_mb": round(aws.uploaded / 1024 / 1024, 1),
    }


def main(argv: list[str]) -> None:
    pending = int(argv[argv.index("--pending") + 1]) if "--pending" in argv else 100_000
    sys.stdout.write(json.dumps(run(pending)) + "\n")


if __name__ == "__main__":
    main(sys.argv)
