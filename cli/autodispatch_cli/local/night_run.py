"""`autodispatch local run`: import a scenario into embedded AWS and run nights on it."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from autodispatch import wiring
from autodispatch.config import load_config
from autodispatch.logic import importing
from autodispatch.logic.runs import start_run
from autodispatch.models.enums import Language
from autodispatch.models.scenario import Scenario
from autodispatch_cli.local.report import Execution, Night, build_report, sent_emails, sent_sms
from autodispatch_cli.local.runtime import LocalAws


def import_scenario(scenario: Scenario) -> None:
    """Into the embedded AWS, as `invoices import` would, on its configured time zone."""
    importing.import_scenario(wiring.invoice_store(), scenario, load_config().zone, datetime.now(UTC))


def run_nights(
    local: LocalAws, dates: Sequence[date], concurrent_starts: int = 1, timeout_seconds: float = 600.0
) -> list[Night]:
    """One night per date, in order; each starts `concurrent_starts` executions at once."""
    nights: list[Night] = []
    for run_date in dates:
        night = Night(run_date=run_date, emails_before=len(sent_emails()), sms_before=len(sent_sms()))
        for _ in range(concurrent_starts):
            # As `runs start` and POST /runs start one (logic.runs), named after who started it.
            started = start_run(local.runs(), run_date, origin="local")
            night.executions.append(Execution(name=started.run_id, arn=started.execution_arn))
        statuses = local.wait([execution.arn for execution in night.executions], timeout_seconds)
        local.deliver_mail_events()  # what SES reports in the hours after the night's sends (R26)
        for execution in night.executions:
            execution.status = statuses[execution.arn]
        nights.append(night)
    return nights


def run_scenario(
    scenario: Scenario,
    dates: Sequence[date],
    *,
    concurrent_starts: int = 1,
    out: Path | None = None,
    local: LocalAws | None = None,
    language: Language = Language.EN,
) -> dict[str, Any]:
    """The whole local run; returns the run report, its messages in `language` (the report of
    SCENARIO-FORMAT.md is English). Pass `local` to reuse a started system."""
    if local is None:
        with LocalAws() as started:
            return run_scenario(
                scenario,
                dates,
                concurrent_starts=concurrent_starts,
                out=out,
                local=started,
                language=language,
            )
    import_scenario(scenario)
    nights = run_nights(local, dates, concurrent_starts)
    keys = [invoice.key for invoice in scenario.invoices]
    return build_report(local, wiring.invoice_store(), nights, keys, scenario.tenants, out, language)
