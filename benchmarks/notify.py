"""`python -m benchmarks notify --tenants T --failed F`: a notification night at scale (R21). F
FAILED invoices of one run over T tenants, each tenant with a notification email and phone, are
reported by the real NotifyFailures handler in a fresh interpreter (the function), whose requests go
over HTTP to embedded AWS (moto's server on 127.0.0.1, in this process): real DynamoDB reads and
claims, SES v2 sends and SNS SMS publishes, answered without any rate limit.

Prints one JSON line: the messages sent, the function's wall-clock and CPU seconds and peak memory,
and the time the function's own pace (its CPU at its memory's vCPU share plus each request's round
trip) and the account's send rates (SES emails per second, SNS SMS per second) need against the
function's timeout: the binding limit is the largest of them. Over one invocation, the invocations the
night needs (the step's retries carry the rest) against the NotifyFailures step's attempts in the
state machine. Exits non-zero when a limit is crossed.
"""

import json
import logging
import os
import re
import resource
import socket
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
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
REPOSITORY = Path(__file__).resolve().parent.parent


def _step_attempts() -> int:
    """The NotifyFailures step's invocations: the first and its retries, read from the state machine."""
    definition = (REPOSITORY / "statemachine" / "nightly_run.asl.json").read_text()
    step = definition[definition.index('"NotifyFailures": {') :]
    found = re.search(r'"MaxAttempts":\s*(\d+)', step)
    if found is None:
        raise SystemExit("notify: the NotifyFailures step has no retry")
    return 1 + int(found.group(1))


def invocations_needed(
    tenants: int, seconds_a_tenant: float, usable_seconds: float, pass_over_seconds: float
) -> int:
    """Invocations the night takes: each starts tenants until its usable time is spent, after passing
    over (claims only) the tenants the earlier invocations notified."""
    notified, invocations = 0, 0
    while notified < tenants:
        invocations += 1
        left = usable_seconds - notified * pass_over_seconds
        if left < seconds_a_tenant:
            return sys.maxsize  # the retries would spend their time passing over and never finish
        notified += int(left // seconds_a_tenant)
    return invocations


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


def measure() -> dict[str, Any]:
    """In this process (the function): one NotifyFailures invocation."""
    import warnings  # noqa: PLC0415

    from aws_lambda_powertools.metrics.provider import cold_start  # noqa: PLC0415

    import notify_failures.handler as notify  # noqa: PLC0415
    from autodispatch.observability import logger  # noqa: PLC0415
    from benchmarks.selector import _Context  # noqa: PLC0415

    logger.setLevel("WARNING")
    cold_start.is_cold_start = False
    warnings.simplefilter("ignore")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    event = {"run": {"run_id": RUN_ID, "run_date": RUN_DATE.isoformat()}}
    summary = notify.handler(event, _Context(function_name="autodispatch-NotifyFailures"))
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        **summary,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime - cpu_before, 1),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
    }


def run(tenants: int, failed: int) -> dict[str, Any]:
    from autodispatch.logic.notification import RESERVE_SECONDS  # noqa: PLC0415
    from autodispatch_cli.local.runtime import (  # noqa: PLC0415
        FUNCTION_MEMORY_MB,
        FUNCTION_TIMEOUT_SECONDS,
        _moto_server,
        patched_environment,
    )
    from benchmarks.cost import REQUEST_SECONDS  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    port = _free_port()
    environment = _environment(port)
    with patched_environment(dict(environment)), _moto_server(port):
        started = time.perf_counter()
        _seed(tenants, failed)
        seeded = time.perf_counter() - started
        answer = subprocess.run(
            [sys.executable, "-m", "benchmarks.notify", "--measure"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    if answer.returncode != 0:
        raise SystemExit(f"notify: the function failed\n{answer.stderr[-3000:]}")
    result: dict[str, Any] = {"tenants": tenants, "failed": failed, "seed_seconds": round(seeded, 1)}
    result.update(json.loads(answer.stdout.strip().splitlines()[-1]))
    memory, timeout = FUNCTION_MEMORY_MB["NotifyFailures"], FUNCTION_TIMEOUT_SECONDS["NotifyFailures"]
    share = min(1.0, memory / MB_PER_VCPU)
    # The function's own pace in Lambda: its CPU at the share, plus an in-region round trip for each
    # message's claim and for its send.
    round_trips = (result["emails"] + result["sms"]) * REQUEST_SECONDS["dynamodb"]
    round_trips += result["emails"] * REQUEST_SECONDS["sesv2"] + result["sms"] * REQUEST_SECONDS["sns"]
    needs = {
        "function_at_vcpu_share": round(result["cpu_seconds"] / share + round_trips, 1),
        "ses_send_rate": round(result["emails"] / SES_EMAILS_PER_SECOND, 1),
        "sns_sms_rate": round(result["sms"] / SNS_SMS_PER_SECOND, 1),
    }
    result["seconds_needed"] = needs
    result["binding_limit"] = max(needs, key=lambda name: needs[name])
    result["function"] = {"memory_mb": memory, "timeout_seconds": timeout, "vcpu_share": round(share, 3)}
    result["memory_ok"] = result["peak_mb"] <= memory * (1 - MEMORY_HEADROOM)
    # Over one invocation the step's retries carry the rest (R24): each stops starting tenants with
    # RESERVE_SECONDS left, and passes over the tenants already notified at their two claims.
    attempts = _step_attempts()
    slowest = max(needs.values())
    invocations = invocations_needed(
        tenants, slowest / tenants, timeout - RESERVE_SECONDS, 2 * REQUEST_SECONDS["dynamodb"]
    )
    result["invocations"] = {"needed": invocations, "step_attempts": attempts}
    result["time_ok"] = invocations <= attempts
    result["one_message_per_tenant"] = result["emails"] == tenants and result["sms"] == tenants
    return result


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
