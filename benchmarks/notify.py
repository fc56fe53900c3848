"""`python -m benchmarks notify --tenants T --failed F`: a notification night at scale (R21). F
FAILED invoices of one run over T tenants, each tenant with its own notification email and phone,
are reported by the real NotifyFailures handler as the state machine runs it, in a fresh interpreter
(the function, warm from one invocation to the next as Lambda keeps it): the plan, every chunk of
tenants in turn, then the finish.

Every request is built, signed and sent by botocore with the function's own clients, and answered
at `before-send` with the HTTP response DynamoDB, SES v2 or SNS would give, whose body botocore's
own parser reads (as benchmarks/selector.py does; moto's server spent ~18 ms answering each request,
so 10,000 tenants took hours). The table is the night's: its issue and tenant items are made on
demand by the store's own item builders (`run_issue_item`, `tenant_item`), exactly as dispatch and
the CLI write them, and nothing but the function's writes (claims) is held; a Query reads its key
range in sort-key order, paged at 1 MB of items read, projected as asked. SES and SNS count every
message by recipient, so one email and one SMS a tenant is verified, not assumed. No rate limit.

Prints one JSON line: the plan's CPU and peak memory, the chunks, each chunk's CPU (what answering
cost is left out) and time in Lambda (its CPU at its memory's vCPU share plus each request's
in-region round trip) and send rate, the function's peak memory, and the time the night needs at
the plan's concurrency against what the account's send rates (SES emails per second, SNS SMS per
second) need: the binding limit is the largest of them. Exits non-zero when a chunk would not
finish in one invocation (before the time guard's reserve), memory crosses 70 % of the function's,
the plan does not fit its invocation, or a tenant did not get exactly one email and one SMS.
"""

import bisect
import heapq
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from botocore.awsrequest import AWSResponse

from autodispatch.store.dynamodb.items import tenant_item
from autodispatch.store.dynamodb.runs import run_issue_item
from autodispatch.store.table_schema import PARTITION_KEY, SORT_KEY
from benchmarks.selector import _Body, _Context, _process_cpu

if TYPE_CHECKING:
    from autodispatch.models.scenario import Tenant
    from autodispatch.store.port import RunIssue

# The account's rates as a new production account gets them: SES 14 emails/s (the stack's
# sesSendRate default) and SNS 20 SMS/s (the default SMS transactions per second).
SES_EMAILS_PER_SECOND = 14.0
SNS_SMS_PER_SECOND = 20.0
MB_PER_VCPU = 1769
MEMORY_HEADROOM = 0.30
RUN_ID = "bench-notify"
RUN_DATE = date(2026, 3, 10)
REGION = "eu-north-1"
SENDER = "autodispatch@billing.example"
# DynamoDB ends a Query page after 1 MB of items read (before any projection).
PAGE_BYTES = 1024 * 1024
_JSON = {"Content-Type": "application/x-amz-json-1.0"}
_CONDITION_FAILED = "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"


def _tenant_id(n: int) -> str:
    return f"tenant-{n:05d}"


class WireNight:
    """The night's table, SES and SNS on the wire: answers the function's requests as HTTP
    responses for botocore to parse, and tracks the CPU it spends itself (left out of the
    function's). A request it does not know fails the bench rather than being answered wrongly."""

    def __init__(self, tenants: int, failed: int, item_bytes: int) -> None:
        from autodispatch.models.enums import AutoDispatchState  # noqa: PLC0415
        from autodispatch.models.loading import parse_scenario  # noqa: PLC0415
        from autodispatch.store.port import RunIssue, RunRef  # noqa: PLC0415
        from benchmarks.synthetic import synthetic_scenario  # noqa: PLC0415

        self.tenants, self.failed = tenants, failed
        # What each item counts towards a Query page's 1 MB (the night's largest issue item, sized
        # by benchmarks/cost.py outside this process: it imports the CDK).
        self.item_bytes = item_bytes
        self.run = RunRef(run_id=RUN_ID, run_date=RUN_DATE)
        self._template = parse_scenario(synthetic_scenario(tenants=1, invoices_per_tenant=1)).tenants[0]
        self._issue = RunIssue(
            tenant_id=_tenant_id(0),
            invoice_id="inv-0000000",
            number="100000",
            state=AutoDispatchState.FAILED,
            message="Automatic dispatch failed: no email address and incomplete postal address",
            details="EMAIL: the customer has no email address\nPRINT: the postal address is incomplete",
            customer_name="Asiakas 0 Oy",
            amount=Decimal("1240.00"),
            currency="EUR",
        )
        # Where each tenant's issue keys end (`ISSUE#<tenant>$` follows all of `ISSUE#<tenant>#...`).
        self._issue_ends = [f"ISSUE#{_tenant_id(n)}$" for n in range(tenants)]
        # What the function wrote (its claims), as JSON: all the table holds besides the night's.
        self._written: dict[tuple[str, str], str] = {}
        self.emails: Counter[str] = Counter()
        self.sms: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.cpu_seconds = 0.0

    # -- the night, its items made by the store's own builders ----------------------------------
    def tenant(self, n: int) -> "Tenant":
        settings = self._template.settings.model_copy(
            update={"notify_email": f"notify-{n:05d}@tenant.example", "notify_phone": f"+35840{n:07d}"}
        )
        return self._template.model_copy(update={"tenant_id": _tenant_id(n), "settings": settings})

    def issue(self, n: int) -> "RunIssue":
        """Invoice n's issue: its tenant is n mod T."""
        return self._issue.model_copy(
            update={
                "tenant_id": _tenant_id(n % self.tenants),
                "invoice_id": f"inv-{n:07d}",
                "number": str(100_000 + n),
                "customer_name": f"Asiakas {n} Oy",
            }
        )

    def _issues(self, low: str, high: str) -> Iterator[dict[str, Any]]:
        """The run's issue items with sort keys from `low` to `high`, in sort-key order: each tenant's
        invoices in id order (invoice n belongs to tenant n mod T)."""
        for tenant in range(bisect.bisect_left(self._issue_ends, low), self.tenants):
            if f"ISSUE#{_tenant_id(tenant)}#" > high:
                return
            for n in range(tenant, self.failed, self.tenants):
                item = run_issue_item(self.run, self.issue(n))
                if low <= item[SORT_KEY]["S"] <= high:
                    yield item

    def _partition(self, pk: str, low: str, high: str) -> Iterator[dict[str, Any]]:
        written = sorted(
            (sk, json.loads(item))
            for (key, sk), item in self._written.items()
            if key == pk and low <= sk <= high
        )
        night = self._issues(low, high) if pk == f"RUN#{RUN_ID}" else iter(())
        return heapq.merge(night, (item for _, item in written), key=lambda item: item[SORT_KEY]["S"])

    # -- the wire --------------------------------------------------------------------------------
    def answer(self, request: Any, **_: Any) -> AWSResponse:
        started = time.thread_time()
        try:
            target = request.headers.get("X-Amz-Target")
            if target is not None:
                operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
                self.requests[f"dynamodb.{operation}"] += 1
                return getattr(self, f"_{operation}")(request.url, json.loads(request.body))
            if "/v2/email/outbound-emails" in request.url:
                self.requests["sesv2.SendEmail"] += 1
                return self._send_email(request)
            form = parse_qs(request.body.decode() if isinstance(request.body, bytes) else request.body)
            if form.get("Action") == ["Publish"]:
                self.requests["sns.Publish"] += 1
                return self._publish(request, form)
            raise RuntimeError(f"notify bench: no answer for {request.method} {request.url}")
        finally:
            self.cpu_seconds += time.thread_time() - started

    @staticmethod
    def _json(url: str, body: dict[str, Any], status: int = 200) -> AWSResponse:
        return AWSResponse(url, status, _JSON, _Body(json.dumps(body).encode()))

    def _Query(self, url: str, params: dict[str, Any]) -> AWSResponse:
        names, values = params.get("ExpressionAttributeNames", {}), params["ExpressionAttributeValues"]
        pk, low, high = _key_range(params["KeyConditionExpression"], names, values)
        start = params.get("ExclusiveStartKey")
        limit = params.get("Limit", sys.maxsize)
        projected = [
            names.get(n.strip(), n.strip())
            for n in params.get("ProjectionExpression", "").split(",")
            if n.strip()
        ]
        if start is not None:  # the smallest sort key after the start key
            low = max(low, start[SORT_KEY]["S"] + "\x00")
        found: list[dict[str, Any]] = []
        read, last = 0, None
        for item in self._partition(pk, low, high):
            if len(found) == limit or read >= PAGE_BYTES:
                last = {name: found[-1][name] for name in (PARTITION_KEY, SORT_KEY)}
                break
            read += self.item_bytes
            found.append(item)
        page: dict[str, Any] = {
            "Items": [{n: item[n] for n in projected if n in item} if projected else item for item in found],
            "Count": len(found),
            "ScannedCount": len(found),
        }
        if last is not None:
            page["LastEvaluatedKey"] = last
        return self._json(url, page)

    def _GetItem(self, url: str, params: dict[str, Any]) -> AWSResponse:
        item = self._item(params["Key"])
        return self._json(url, {"Item": item} if item else {})

    def _BatchGetItem(self, url: str, params: dict[str, Any]) -> AWSResponse:
        ((table, request),) = params["RequestItems"].items()
        found = [item for item in map(self._item, request["Keys"]) if item is not None]
        return self._json(url, {"Responses": {table: found}, "UnprocessedKeys": {}})

    def _item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        pk, sk = key[PARTITION_KEY]["S"], key[SORT_KEY]["S"]
        if (pk, sk) in self._written:
            return dict(json.loads(self._written[pk, sk]))
        if pk == "TENANTS" and sk.startswith("TENANT#tenant-"):
            n = int(sk.removeprefix("TENANT#tenant-"))
            return tenant_item(self.tenant(n)) if n < self.tenants else None
        return None

    def _PutItem(self, url: str, params: dict[str, Any]) -> AWSResponse:
        item = params["Item"]
        old = self._item(item)
        condition = params.get("ConditionExpression")
        # The only conditional put of notification: a claim, taken when absent or given back (R21).
        if condition is not None:
            if condition != f"attribute_not_exists({PARTITION_KEY}) OR #notice = :released":
                raise RuntimeError(f"notify bench: no answer for the condition {condition!r}")
            if old is not None and old.get("notice") != params["ExpressionAttributeValues"][":released"]:
                return self._condition_failed(url, old, params)
        self._written[item[PARTITION_KEY]["S"], item[SORT_KEY]["S"]] = json.dumps(item)
        return self._json(url, {})

    def _UpdateItem(self, url: str, params: dict[str, Any]) -> AWSResponse:
        # Releasing the night: nobody holds it in this bench, so its condition fails (as DynamoDB's
        # does on an absent item) and the function knows there is nothing of its own to release.
        old = self._item(params["Key"])
        if old is not None or "ConditionExpression" not in params:
            raise RuntimeError("notify bench: no answer for an update of an existing item")
        return self._condition_failed(url, None, params)

    def _condition_failed(self, url: str, old: dict[str, Any] | None, params: dict[str, Any]) -> AWSResponse:
        body: dict[str, Any] = {"__type": _CONDITION_FAILED, "message": "The conditional request failed"}
        if old is not None and params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            body["Item"] = old
        return self._json(url, body, 400)

    # -- SES v2 and SNS -------------------------------------------------------------------------
    def _send_email(self, request: Any) -> AWSResponse:
        sent = json.loads(request.body)
        for address in sent["Destination"]["ToAddresses"]:
            self.emails[address] += 1
        message_id = f"bench-{sum(self.emails.values())}"
        return AWSResponse(
            request.url,
            200,
            {"Content-Type": "application/json"},
            _Body(json.dumps({"MessageId": message_id}).encode()),
        )

    def _publish(self, request: Any, form: dict[str, list[str]]) -> AWSResponse:
        (phone,) = form["PhoneNumber"]
        self.sms[phone] += 1
        body = (
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
            f"<MessageId>bench-{sum(self.sms.values())}</MessageId></PublishResult>"
            "<ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>"
        )
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, _Body(body.encode()))


def _key_range(condition: str, names: dict[str, str], values: dict[str, Any]) -> tuple[str, str, str]:
    """The partition and the sort-key range (both ends included) of a Query's key condition: the
    partition alone, `begins_with` or `BETWEEN`, the forms the store asks."""
    value = {placeholder: typed["S"] for placeholder, typed in values.items() if "S" in typed}
    words = condition.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split()
    if names.get(words[0], words[0]) != PARTITION_KEY or words[1] != "=":
        raise RuntimeError(f"notify bench: no answer for the key condition {condition!r}")
    pk, rest = value[words[2]], words[3:]
    if not rest:
        return pk, "", "\U0010ffff"
    if rest[:3] == ["AND", "begins_with", "("] and rest[4:7:2] == [",", ")"] and _sort_key(rest[3], names):
        return pk, value[rest[5]], value[rest[5]] + "\U0010ffff"
    if rest[0] == "AND" and rest[2:5:2] == ["BETWEEN", "AND"] and _sort_key(rest[1], names):
        return pk, value[rest[3]], value[rest[5]]
    raise RuntimeError(f"notify bench: no answer for the key condition {condition!r}")


def _sort_key(name: str, names: dict[str, str]) -> bool:
    return names.get(name, name) == SORT_KEY


def _environment() -> dict[str, str]:
    """The notify function's environment, with stub credentials."""
    return {
        **os.environ,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "stub",
        "AWS_SECRET_ACCESS_KEY": "stub",
        "TABLE_NAME": "autodispatch-bench",
        "BUCKET_NAME": "autodispatch-bench",
        "SENDER_EMAIL": SENDER,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(tenants: int, failed: int, item_bytes: int) -> dict[str, Any]:
    """In this process (the function): the plan, each chunk, the finish, as the state machine
    invokes them (the Map's results go to the finish as they would), with the function's own
    clients (wiring's), every one answered by the night on the wire."""
    import warnings  # noqa: PLC0415

    import boto3  # noqa: PLC0415
    from aws_lambda_powertools.metrics.provider import cold_start  # noqa: PLC0415

    import notify_failures.handler as notify  # noqa: PLC0415
    from autodispatch.observability import logger  # noqa: PLC0415

    logger.setLevel("WARNING")
    cold_start.is_cold_start = False
    warnings.simplefilter("ignore")
    night = WireNight(tenants, failed, item_bytes)
    # Registered on the default session before any client exists: every client the function makes
    # (wiring's store and notifier) copies it.
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-send", night.answer)
    context = _Context(function_name="autodispatch-NotifyFailures")

    def invoke(event: dict[str, Any]) -> tuple[dict[str, Any], float, float]:
        """One invocation: its answer, CPU seconds (less answering) and wall-clock seconds."""
        cpu, answering, started = _process_cpu(), night.cpu_seconds, time.perf_counter()
        answer: dict[str, Any] = notify.handler(event, context)
        spent = _process_cpu() - cpu - (night.cpu_seconds - answering)
        return answer, spent, time.perf_counter() - started

    run = {"run_id": RUN_ID, "run_date": RUN_DATE.isoformat()}
    plan, plan_cpu, plan_wall = invoke({"step": "plan", "run": run})
    plan_requests = night.requests.total()
    plan_peak = _peak_mb()
    chunks = []
    for chunk in plan["chunks"]:
        summary, cpu, wall = invoke({"step": "chunk", "run": run, "chunk": chunk})
        chunks.append({**summary, "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 2)})
    finish, _, _ = invoke({"step": "finish", "run": run, "results": chunks})
    return {
        "plan": {
            "tenants": plan["tenants"],
            "issues": plan["issues"],
            "chunks": len(plan["chunks"]),
            "concurrency": plan["concurrency"],
            "cpu_seconds": round(plan_cpu, 2),
            "wall_seconds": round(plan_wall, 1),
            "requests": plan_requests,
            "peak_mb": plan_peak,
        },
        "chunks": chunks,
        "finish": finish,
        "peak_mb": _peak_mb(),
        "answering_cpu_seconds": round(night.cpu_seconds, 1),
        "requests": dict(sorted(night.requests.items())),
        # Verified by what SES and SNS were asked to send, not by what the function says it sent.
        "tenants_emailed_once": sum(1 for count in night.emails.values() if count == 1),
        "tenants_texted_once": sum(1 for count in night.sms.values() if count == 1),
        "emails_sent": night.emails.total(),
        "sms_sent": night.sms.total(),
    }


def _in_lambda(chunk: dict[str, Any], share: float) -> float:
    """A chunk's seconds in Lambda: its CPU at the share, plus an in-region round trip for each
    message's claim and send, and for its reads (the tenants' batch read, the range query)."""
    from benchmarks.cost import REQUEST_SECONDS  # noqa: PLC0415

    messages = chunk["emails"] + chunk["sms"]
    round_trips = (messages + 2) * REQUEST_SECONDS["dynamodb"]
    round_trips += chunk["emails"] * REQUEST_SECONDS["sesv2"] + chunk["sms"] * REQUEST_SECONDS["sns"]
    return float(chunk["cpu_seconds"]) / share + round_trips


def run(tenants: int, failed: int) -> dict[str, Any]:
    from autodispatch.logic.notification import RESERVE_SECONDS  # noqa: PLC0415
    from autodispatch_cli.local.runtime import FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS  # noqa: PLC0415
    from benchmarks.cost import REQUEST_SECONDS, item_bytes  # noqa: PLC0415

    # Customer names and invoice numbers grow with n: the last issue item is the largest.
    night = WireNight(tenants, failed, 0)
    largest = max(item_bytes(run_issue_item(night.run, night.issue(n))) for n in (0, failed - 1))
    started = time.perf_counter()
    answer = subprocess.run(
        [sys.executable, "-m", "benchmarks.notify", "--measure", str(tenants), str(failed), str(largest)],
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    measured = time.perf_counter() - started
    if answer.returncode != 0:
        raise SystemExit(f"notify: the function failed\n{answer.stderr[-3000:]}")
    function = json.loads(answer.stdout.strip().splitlines()[-1])
    memory, timeout = FUNCTION_MEMORY_MB["NotifyFailures"], FUNCTION_TIMEOUT_SECONDS["NotifyFailures"]
    share = min(1.0, memory / MB_PER_VCPU)
    plan, chunks, finish = function["plan"], function["chunks"], function["finish"]
    seconds = [_in_lambda(chunk, share) for chunk in chunks]
    emails, sms = function["emails_sent"], function["sms_sent"]
    slowest = max(seconds, default=0.0)
    # The chunks run `concurrency` at a time; the plan's listing (its reads, ~60 pages at
    # 100,000 issues) comes first.
    plan_seconds = plan["cpu_seconds"] / share + plan["requests"] * REQUEST_SECONDS["dynamodb"]
    needs = {
        "chunks_at_concurrency": round(plan_seconds + sum(seconds) / plan["concurrency"], 1),
        "ses_send_rate": round(emails / SES_EMAILS_PER_SECOND, 1),
        "sns_sms_rate": round(sms / SNS_SMS_PER_SECOND, 1),
    }
    chunk_rate = max(
        (chunk["emails"] / s for chunk, s in zip(chunks, seconds, strict=True) if s), default=0.0
    )
    cpu = [c["cpu_seconds"] for c in chunks]
    return {
        "tenants": tenants,
        "failed": failed,
        "plan_seconds_in_lambda": round(plan_seconds, 1),
        "measure_wall_seconds": round(measured, 1),
        "answering_cpu_seconds": function["answering_cpu_seconds"],
        "requests": function["requests"],
        "plan": plan,
        "chunks": {
            "count": len(chunks),
            "tenants_max": max((chunk["tenants_notified"] for chunk in chunks), default=0),
            "cpu_seconds_median": round(statistics.median(cpu), 2) if cpu else 0,
            "cpu_seconds_max": round(max(cpu, default=0.0), 2),
            "cpu_seconds_total": round(sum(cpu), 1),
            "seconds_in_lambda_max": round(slowest, 1),
            "emails_per_second_a_chunk": round(chunk_rate, 1),
        },
        "emails": emails,
        "sms": sms,
        "tenants_notified": finish["tenants_notified"],
        "peak_mb": function["peak_mb"],
        "function": {"memory_mb": memory, "timeout_seconds": timeout, "vcpu_share": round(share, 3)},
        "night_seconds": needs,
        "binding_limit": max(needs, key=lambda name: needs[name]),
        # The plan's concurrency keeps the chunks within the lower of the two send rates.
        "concurrency_set_by": "ses_send_rate"
        if SES_EMAILS_PER_SECOND <= SNS_SMS_PER_SECOND
        else "sns_sms_rate",
        # Together the chunks send within the SES and SMS rates (else those throttle, and bind).
        "sends_within_rates": chunk_rate * plan["concurrency"] <= SES_EMAILS_PER_SECOND
        and chunk_rate * plan["concurrency"] <= SNS_SMS_PER_SECOND,
        "memory_ok": function["peak_mb"] <= memory * (1 - MEMORY_HEADROOM),
        # Each chunk finishes in its first invocation, before the time guard's reserve; so does the plan.
        "time_ok": slowest <= timeout - RESERVE_SECONDS and plan_seconds <= timeout - RESERVE_SECONDS,
        # What SES and SNS received: one email and one SMS to each tenant, and nothing else.
        "one_message_per_tenant": function["tenants_emailed_once"] == tenants == emails
        and function["tenants_texted_once"] == tenants == sms
        and finish["tenants_notified"] == tenants,
    }


def main(argv: list[str]) -> None:
    tenants = int(argv[argv.index("--tenants") + 1]) if "--tenants" in argv else 10_000
    failed = int(argv[argv.index("--failed") + 1]) if "--failed" in argv else 100_000
    result = run(tenants, failed)
    sys.stdout.write(json.dumps(result) + "\n")
    if not (result["memory_ok"] and result["time_ok"] and result["one_message_per_tenant"]):
        sys.exit(f"notify: over the notify function's limits (binding: {result['binding_limit']})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        sys.stdout.write(json.dumps(measure(*map(int, sys.argv[2:5]))) + "\n")
    else:
        main(sys.argv)
