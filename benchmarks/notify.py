"""`python -m benchmarks notify --tenants T --failed F`: a notification night at scale (R21). F
FAILED invoices of one run over T tenants, each tenant with a notification email and phone, are
reported by the real NotifyFailures handler as the state machine runs it, in a fresh interpreter
(the function, warm from one invocation to the next as Lambda keeps it): the plan, every chunk of
tenants in turn, then the finish. Its requests go over HTTP to embedded AWS (moto's server on
127.0.0.1, in this process): real DynamoDB reads and claims, SES v2 sends and SNS SMS publishes,
answered without any rate limit.

Prints one JSON line: the plan's CPU and peak memory, the chunks, each chunk's CPU and time in
Lambda (its CPU at its memory's vCPU share plus each request's round trip) and send rate, the
function's peak memory, and the time the night needs at the plan's concurrency against what the
account's send rates (SES emails per second, SNS SMS per second) need: the binding limit is the
largest of them. Exits non-zero when a chunk would not finish in one invocation (before the time
guard's reserve), memory crosses 70 % of the function's, the plan does not fit its invocation, or a
tenant did not get exactly one email and one SMS.
"""

import json
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "TABLE_NAME": "autodispatch-bench",
        "BUCKET_NAME": "autodispatch-bench",
        "SENDER_EMAIL": SENDER,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def _seed(tenants: int, failed: int) -> None:
    """The night's tenants and the run's FAILED invoices, as dispatch records them."""
    import boto3  # noqa: PLC0415

    from autodispatch.models.enums import AutoDispatchState  # noqa: PLC0415
    from autodispatch.models.loading import parse_scenario  # noqa: PLC0415
    from autodispatch.store.dynamodb import DynamoDbInvoiceStore  # noqa: PLC0415
    from autodispatch.store.port import RunIssue, RunRef  # noqa: PLC0415
    from autodispatch.store.table_schema import create_table_kwargs  # noqa: PLC0415
    from benchmarks.synthetic import synthetic_scenario  # noqa: PLC0415

    config = _environment(0)
    boto3.client("dynamodb").create_table(**create_table_kwargs(config["TABLE_NAME"]))
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    template = parse_scenario(synthetic_scenario(tenants=1, invoices_per_tenant=1)).tenants[0]
    settings = template.settings.model_copy(update={"notify_phone": "+358401234567"})
    store = DynamoDbInvoiceStore(config["TABLE_NAME"], ZoneInfo("Europe/Helsinki"))
    for n in range(tenants):
        store.put_tenant(template.model_copy(update={"tenant_id": f"tenant-{n:05d}", "settings": settings}))
    run = RunRef(run_id=RUN_ID, run_date=RUN_DATE)
    issues = [
        RunIssue(
            tenant_id=f"tenant-{n % tenants:05d}",
            invoice_id=f"inv-{n:07d}",
            number=str(100_000 + n),
            state=AutoDispatchState.FAILED,
            message="Automatic dispatch failed: no email address and incomplete postal address",
            details="EMAIL: the customer has no email address\nPRINT: the postal address is incomplete",
            customer_name=f"Asiakas {n} Oy",
            amount=Decimal("1240.00"),
            currency="EUR",
        )
        for n in range(failed)
    ]
    for start in range(0, failed, 1000):
        store.add_run_issues(run, issues[start : start + 1000])


def _invoke(handler: Any, event: dict[str, Any]) -> tuple[dict[str, Any], float, float]:
    """One invocation: its answer, CPU seconds and wall-clock seconds."""
    from benchmarks.selector import _Context, _process_cpu  # noqa: PLC0415

    cpu, started = _process_cpu(), time.perf_counter()
    answer: dict[str, Any] = handler(event, _Context(function_name="autodispatch-NotifyFailures"))
    return answer, _process_cpu() - cpu, time.perf_counter() - started


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure() -> dict[str, Any]:
    """In this process (the function): the plan, each chunk, the finish, as the state machine
    invokes them (the Map's results go to the finish as they would)."""
    import warnings  # noqa: PLC0415

    from aws_lambda_powertools.metrics.provider import cold_start  # noqa: PLC0415

    import notify_failures.handler as notify  # noqa: PLC0415
    from autodispatch.observability import logger  # noqa: PLC0415

    logger.setLevel("WARNING")
    cold_start.is_cold_start = False
    warnings.simplefilter("ignore")
    run = {"run_id": RUN_ID, "run_date": RUN_DATE.isoformat()}
    plan, plan_cpu, plan_wall = _invoke(notify.handler, {"step": "plan", "run": run})
    plan_peak = _peak_mb()
    chunks = []
    for chunk in plan["chunks"]:
        summary, cpu, wall = _invoke(notify.handler, {"step": "chunk", "run": run, "chunk": chunk})
        chunks.append({**summary, "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 2)})
    finish, _, _ = _invoke(notify.handler, {"step": "finish", "run": run, "results": chunks})
    return {
        "plan": {
            "tenants": plan["tenants"],
            "issues": plan["issues"],
            "chunks": len(plan["chunks"]),
            "concurrency": plan["concurrency"],
            "cpu_seconds": round(plan_cpu, 2),
            "wall_seconds": round(plan_wall, 1),
            "peak_mb": plan_peak,
        },
        "chunks": chunks,
        "finish": finish,
        "peak_mb": _peak_mb(),
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
    from autodispatch_cli.local.runtime import (  # noqa: PLC0415
        FUNCTION_MEMORY_MB,
        FUNCTION_TIMEOUT_SECONDS,
        _moto_server,
        patched_environment,
    )

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    port = _free_port()
    environment = _environment(port)
    with patched_environment(dict(environment)), _moto_server(port):
        started = time.perf_counter()
        _seed(tenants, failed)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        answer = subprocess.run(
            [sys.executable, "-m", "benchmarks.notify", "--measure"],
            env=environment,
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
    emails, sms = finish["emails"], finish["sms"]
    slowest = max(seconds, default=0.0)
    # The chunks run `concurrency` at a time; the plan's listing comes first.
    plan_seconds = plan["cpu_seconds"] / share
    needs = {
        "chunks_at_concurrency": round(plan_seconds + sum(seconds) / plan["concurrency"], 1),
        "ses_send_rate": round(emails / SES_EMAILS_PER_SECOND, 1),
        "sns_sms_rate": round(sms / SNS_SMS_PER_SECOND, 1),
    }
    chunk_rate = max(
        (chunk["emails"] / s for chunk, s in zip(chunks, seconds, strict=True) if s), default=0.0
    )
    return {
        "tenants": tenants,
        "failed": failed,
        "seed_seconds": round(seeded, 1),
        "measure_wall_seconds": round(measured, 1),
        "plan": plan,
        "chunks": {
            "count": len(chunks),
            "tenants_max": max((chunk["tenants_notified"] for chunk in chunks), default=0),
            "cpu_seconds_median": round(statistics.median(c["cpu_seconds"] for c in chunks), 2)
            if chunks
            else 0,
            "cpu_seconds_max": round(max((c["cpu_seconds"] for c in chunks), default=0.0), 2),
            "cpu_seconds_total": round(sum(c["cpu_seconds"] for c in chunks), 1),
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
        # Together the chunks send within the SES and SMS rates (else those throttle, and bind).
        "sends_within_rates": chunk_rate * plan["concurrency"] <= SES_EMAILS_PER_SECOND
        and chunk_rate * plan["concurrency"] <= SNS_SMS_PER_SECOND,
        "memory_ok": function["peak_mb"] <= memory * (1 - MEMORY_HEADROOM),
        # Each chunk finishes in its first invocation, before the time guard's reserve; so does the plan.
        "time_ok": slowest <= timeout - RESERVE_SECONDS and plan_seconds <= timeout - RESERVE_SECONDS,
        "one_message_per_tenant": emails == tenants
        and sms == tenants
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
        sys.stdout.write(json.dumps(measure()) + "\n")
    else:
        main(sys.argv)
