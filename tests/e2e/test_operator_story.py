"""The operator's story (R2, R19-R22), told through the CLI against `autodispatch local serve`.

The local system runs as `local serve` runs it: moto's server on 127.0.0.1 with the outputs stack,
the handlers in-process reaching it over HTTP. The CLI finds it only through AWS_ENDPOINT_URL and
the stack outputs, exactly as it finds a deployed stack. The story runs once per module (one
fixture, in order); each test then checks the part of it that proves one rule.
"""

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner, Result

from autodispatch.models.report import ADDITIONS
from autodispatch_cli import output
from autodispatch_cli.local.report import sent_emails
from autodispatch_cli.local.serve import free_port, serving
from autodispatch_cli.main import app
from autodispatch_cli.target import DEFAULT_STACK, STACK_ENV

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"


@dataclass
class Step:
    args: tuple[str, ...]
    result: Result

    @property
    def json(self) -> Any:
        return json.loads(self.result.stdout)


@dataclass
class Story:
    steps: dict[str, Step] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # emails SES received, read from moto
    broken_status: str = ""

    def __getitem__(self, name: str) -> Step:
        return self.steps[name]


def invoke(*args: str) -> Step:
    return Step(args, CliRunner().invoke(app, list(args)))


def assert_one_line_error(step: Step, *fragments: str) -> None:
    assert step.result.exit_code != 0, step.result.output
    lines = step.result.stderr.strip().splitlines()
    assert len(lines) == 1, step.result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in step.result.output
    for fragment in fragments:
        assert fragment in lines[0]


def emails_about(invoice_id: str) -> list[str]:
    found = []
    for message in sent_emails():
        raw = getattr(message, "raw_data", "") or ""
        if re.search(rf"^X-Autodispatch-Invoice: {re.escape(invoice_id)}\r?$", raw, re.MULTILINE):
            found.append(raw)
    return found


def start_broken_execution(night_execution_arn: str) -> str:
    """Start an execution whose SelectDueInvoices fails on its input; its final status."""
    prefix, _, rest = night_execution_arn.partition(":execution:")
    machine = f"{prefix}:stateMachine:{rest.rsplit(':', 1)[0]}"
    stepfunctions = boto3.client("stepfunctions")
    arn = stepfunctions.start_execution(
        stateMachineArn=machine, name="broken-input", input=json.dumps({"run_date": "not-a-date"})
    )["executionArn"]
    for _ in range(200):  # bounded: at most 20 s
        status = str(stepfunctions.describe_execution(executionArn=arn)["status"])
        if status != "RUNNING":
            return status
        time.sleep(0.1)
    return status


def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    return data


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    folder = tmp_path_factory.mktemp("story")
    port = free_port()
    story = Story()
    steps = story.steps
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", STACK_ENV, "POWERTOOLS_LOG_LEVEL"):
            patch.delenv(name, raising=False)
        patch.setattr(output.console, "width", 200)  # wide enough that table cells do not wrap
        with serving(port, DEFAULT_STACK):
            # What `local serve` tells the user to export (serving() has set the same values).
            patch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
            patch.setenv("AWS_DEFAULT_REGION", "eu-north-1")

            # R2: a new tenant without a notification recipient cannot be activated.
            demo = demo_data()
            tenant = next(t for t in demo["tenants"] if t["tenant_id"] == "kahvila")
            tenant["settings"] = {
                **tenant["settings"],
                "active": False,
                "notify_email": None,
                "notify_phone": None,
            }
            steps["import tenant"] = invoke(
                "invoices", "import", str(write(folder / "t.json", {"tenants": [tenant]}))
            )
            steps["activate refused"] = invoke("settings", "activate", "--tenant", "kahvila")
            steps["bad email"] = invoke(
                "settings", "set", "--tenant", "kahvila", "--notify-email", "not-an-email"
            )
            steps["set email"] = invoke(
                "settings", "set", "--tenant", "kahvila", "--notify-email", "laskutus@kahvila-aurinko.fi"
            )
            steps["activate"] = invoke("settings", "activate", "--tenant", "kahvila")
            steps["settings after"] = invoke("settings", "show", "--tenant", "kahvila", "--json")

            # The demo data (its tenants carry their own settings) and the night of 10 March 2026.
            steps["import demo"] = invoke("invoices", "import", str(DEMO))
            steps["night 10"] = invoke("runs", "start", "--date", "2026-03-10", "--wait", "--json")
            steps["failed kahvila"] = invoke(
                "invoices", "list", "--tenant", "kahvila", "--state", "FAILED", "--json"
            )
            steps["failed tilitoimisto"] = invoke(
                "invoices", "list", "--tenant", "tilitoimisto", "--state", "failed", "--json"
            )
            steps["list table"] = invoke("invoices", "list", "--tenant", "kahvila")
            steps["show k-1005"] = invoke("invoices", "show", "--tenant", "kahvila", "k-1005")

            # R22: a manual send is refused until the invoice is corrected, then goes by email.
            steps["send uncorrected"] = invoke("invoices", "send", "--tenant", "kahvila", "k-1005")
            invoice = next(i for i in demo["invoices"] if i["invoice_id"] == "k-1005")
            invoice["customer"]["email"] = "asiakas@example.fi"
            steps["import fix"] = invoke(
                "invoices", "import", str(write(folder / "fix.json", {"invoices": [invoice]}))
            )
            emails_before = len(emails_about("k-1005"))
            steps["send"] = invoke("invoices", "send", "--tenant", "kahvila", "k-1005")
            story.emails["k-1005 by the manual send"] = len(emails_about("k-1005")) - emails_before
            steps["show k-1005 after"] = invoke("invoices", "show", "--tenant", "kahvila", "k-1005", "--json")
            steps["send again"] = invoke("invoices", "send", "--tenant", "kahvila", "k-1005")

            # R20: k-1010 (created 10.3, due in the night of 11.3) is removed and not sent that night.
            steps["remove k-1010"] = invoke("invoices", "remove-auto", "--tenant", "kahvila", "k-1010")
            steps["night 11"] = invoke("runs", "start", "--date", "2026-03-11", "--wait", "--json")
            steps["show k-1010"] = invoke("invoices", "show", "--tenant", "kahvila", "k-1010", "--json")
            story.emails["k-1010"] = len(emails_about("k-1010"))
            steps["restore sent"] = invoke("invoices", "restore-auto", "--tenant", "kahvila", "k-1001")

            # An execution that fails before it selects anything (its input is not a night).
            story.broken_status = start_broken_execution(steps["night 10"].json["execution_arn"])

            # Runs can be inspected afterwards; mistakes are one line and a non-zero exit.
            steps["runs"] = invoke("runs", "list", "--json")
            steps["run 10"] = invoke("runs", "show", steps["night 10"].json["run_id"], "--json")
            steps["unknown tenant"] = invoke("invoices", "list", "--tenant", "nobody")
            steps["unknown invoice"] = invoke("invoices", "show", "--tenant", "kahvila", "k-9999")
            steps["unknown run"] = invoke("runs", "show", "manual-1999-01-01-00000000")
            steps["unknown stack"] = invoke("--stack", "Elsewhere", "runs", "list")
        yield story


def test_r2_activation_refused_without_a_recipient_then_allowed(story: Story) -> None:
    assert story["import tenant"].result.exit_code == 0, story["import tenant"].result.output
    assert_one_line_error(story["activate refused"], "kahvila", "notification email or phone")
    assert_one_line_error(story["bad email"], "--notify-email", "not a valid email address")
    assert story["set email"].result.exit_code == 0, story["set email"].result.output
    assert story["activate"].result.exit_code == 0, story["activate"].result.output
    settings = story["settings after"].json
    assert settings["settings"]["active"] is True
    assert settings["settings"]["activated_at"] is not None
    assert settings["activation_problems"] == []


def test_r24_night_of_10_march_runs_through_the_served_system(story: Story) -> None:
    assert story["import demo"].result.exit_code == 0, story["import demo"].result.output
    night = story["night 10"]
    assert night.result.exit_code == 0, night.result.output
    run = night.json
    assert run["status"] == "SUCCEEDED"
    assert run["run_date"] == "2026-03-10"
    assert (run["selected"], run["sent"], run["ignored"], run["failed"]) == (10, 7, 1, 2)
    assert run["run_id"].startswith("manual-2026-03-10-")
    assert run["console_url"] == (
        "https://eu-north-1.console.aws.amazon.com/states/home?region=eu-north-1"
        f"#/v2/executions/details/{run['execution_arn']}"
    )


def test_r19_failed_list_names_each_invoice_with_its_one_line_message(story: Story) -> None:
    kahvila, tilitoimisto = story["failed kahvila"].json, story["failed tilitoimisto"].json
    assert [i["invoice_id"] for i in kahvila] == ["k-1005"]
    assert [i["invoice_id"] for i in tilitoimisto] == ["t-503"]
    for entry in (*kahvila, *tilitoimisto):
        assert entry["auto_dispatch"] == "FAILED"
        assert entry["message"].startswith("Automatic dispatch failed: ")
        assert "\n" not in entry["message"]
        # The run report's invoice shape (SCENARIO-FORMAT.md), with only the list's optional additions.
        assert set(entry) - set(ADDITIONS) == {
            "tenant_id", "invoice_id", "status", "auto_dispatch", "channel", "sent_on", "message", "details",
            "history",
        }  # fmt: skip
        assert entry["customer_name"]
    table = story["list table"].result.stdout
    assert re.search(r"k-1005 .* Failed .* Automatic dispatch failed: no email address and incomplete", table)
    assert re.search(r"k-1007 .* Removed", table)


def test_r19_show_gives_the_detailed_explanation_and_history(story: Story) -> None:
    shown = story["show k-1005"].result
    assert shown.exit_code == 0, shown.output
    assert "Automatic dispatch failed: no email address and incomplete postal address." in shown.stdout
    assert "the customer has no email address" in shown.stdout
    assert "History" in shown.stdout
    for event in ("Queued for the night's dispatch", "Channel skipped", "Automatic dispatch failed"):
        assert event in shown.stdout


def test_r22_manual_send_refused_until_corrected(story: Story) -> None:
    assert_one_line_error(story["send uncorrected"], "kahvila/k-1005", "the customer has no email address")


def test_r22_corrected_invoice_sent_manually_by_email_and_recorded(story: Story) -> None:
    assert story["import fix"].result.exit_code == 0, story["import fix"].result.output
    sent = story["send"].result
    assert sent.exit_code == 0, sent.output
    assert "manually by email" in sent.stdout
    assert story.emails["k-1005 by the manual send"] == 1  # exactly one email reached SES
    entry = story["show k-1005 after"].json
    assert entry["status"] == "SENT"
    assert entry["channel"] == "EMAIL"
    last = entry["history"][-1]
    assert (last["event"], last["channel"]) == ("SENT_MANUALLY", "EMAIL")
    assert_one_line_error(story["send again"], "already sent")


def test_r20_removed_invoice_is_not_sent_by_the_next_night(story: Story) -> None:
    removed = story["remove k-1010"].result
    assert removed.exit_code == 0, removed.output
    assert "automatic dispatch: Removed" in removed.stdout
    night = story["night 11"]
    assert night.result.exit_code == 0, night.result.output
    assert night.json["status"] == "SUCCEEDED"
    assert (night.json["selected"], night.json["sent"]) == (1, 1)  # only t-502 (R7)
    entry = story["show k-1010"].json
    assert (entry["status"], entry["auto_dispatch"], entry["sent_on"]) == ("UNSENT", "REMOVED", None)
    assert entry["history"][-1]["event"] == "REMOVED_BY_USER"
    assert story.emails["k-1010"] == 0


def test_r20_restore_refused_on_a_sent_invoice_with_the_reason(story: Story) -> None:
    assert_one_line_error(story["restore sent"], "kahvila/k-1001", "already sent")


def test_r24_runs_list_shows_every_execution_with_counts_and_console_link(
    story: Story,
) -> None:
    runs = story["runs"].json
    assert [r["run_date"] for r in runs] == [None, "2026-03-11", "2026-03-10"]
    assert [r["status"] for r in runs] == ["FAILED", "SUCCEEDED", "SUCCEEDED"]
    assert story.broken_status == "FAILED"
    assert runs[0]["run_id"] == "broken-input"
    assert runs[0]["started_at"] is not None
    shown = story["run 10"].json
    assert shown["execution_arn"].endswith(":" + shown["run_id"])
    assert "console.aws.amazon.com/states" in shown["console_url"]
    assert sorted((i["invoice_id"], i["state"]) for i in shown["issues"]) == [
        ("k-1005", "FAILED"),
        ("t-501", "IGNORED"),
        ("t-503", "FAILED"),
    ]


def test_unknown_tenant_invoice_run_and_stack_are_one_line_errors(story: Story) -> None:
    assert_one_line_error(story["unknown tenant"], "Unknown tenant 'nobody'")
    assert_one_line_error(story["unknown invoice"], "Unknown invoice kahvila/k-9999")
    assert_one_line_error(story["unknown run"], "Unknown run")
    assert_one_line_error(story["unknown stack"], "stack 'Elsewhere' not found")
