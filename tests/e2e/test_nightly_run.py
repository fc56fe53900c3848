"""The real state machine, run locally in moto with the real handlers, over the demo scenario and
over fault cases. Each test proves every invoice ends as SPEC.md says with exactly one delivery
per sent invoice."""

import email
import email.policy
import io
import json
import re
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from pypdf import PdfReader

import dispatch_invoice.handler as dispatch_handler
from autodispatch import wiring
from autodispatch.channels.archive import BATCH_PREFIX, RE_RENDERED_MEMBER
from autodispatch.channels.deliverer import build_deliverer
from autodispatch.channels.peppol_rules import broken_rules
from autodispatch.config import load_config
from autodispatch.errors import TransientError
from autodispatch.models.enums import Channel
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Scenario
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.report import sent_emails
from autodispatch_cli.local.runtime import BUCKET_NAME, LocalAws
from tests.demo_oracle import INVOICE_IDS, final_outcome

pytestmark = pytest.mark.e2e
# The demo's two nights as the one hand-worked oracle (tests/demo_oracle.py) says they end.
EXPECTED = {invoice_id: final_outcome(invoice_id) for invoice_id in INVOICE_IDS}

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-scenario.json"
FINVOICE_XSD = ROOT / "tests" / "fixtures" / "Finvoice3.0.xsd"

NIGHTS = [date(2026, 3, 10), date(2026, 3, 11)]


def outcomes(report: dict[str, Any]) -> dict[str, tuple[str, str | None, str | None]]:
    return {i["invoice_id"]: (i["auto_dispatch"], i["channel"], i["sent_on"]) for i in report["invoices"]}


def invoice_deliveries(report: dict[str, Any]) -> Counter[str]:
    return Counter(d["invoice_id"] for d in report["deliveries"] if d["kind"] != "FACTORING")


def assert_exactly_one_delivery_per_sent_invoice(report: dict[str, Any]) -> None:
    sent_by_run = {i["invoice_id"] for i in report["invoices"] if i["sent_on"] is not None}
    assert invoice_deliveries(report) == Counter(sent_by_run)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def demo_report(artifacts: Path) -> dict[str, Any]:
    scenario = parse_scenario(json.loads(DEMO.read_text(encoding="utf-8")))
    return run_scenario(scenario, NIGHTS, out=artifacts)


def _artifacts_of(report: dict[str, Any], channel: str, root: Path) -> list[tuple[dict[str, Any], Path]]:
    return [(d, root / d["artifact"]) for d in report["deliveries"] if d["channel"] == channel]


def test_einvoices_of_the_demo_validate_against_the_official_finvoice_schema_or_peppol_rules(
    demo_report: dict[str, Any], artifacts: Path
) -> None:
    """R13: Finvoice to the OVT addresses, Peppol BIS 3 (UBL) to the Peppol participant k-1011."""
    schema = xmlschema.XMLSchema(str(FINVOICE_XSD))
    einvoices = _artifacts_of(demo_report, "EINVOICE", artifacts)
    assert len(einvoices) == 5
    peppol = []
    for delivery, path in einvoices:
        if b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in path.read_bytes():
            assert broken_rules(path.read_bytes()) == []
            peppol.append((delivery["invoice_id"], path.suffix))
        else:
            schema.validate(str(path))
    assert peppol == [("k-1011", ".xml")]


def test_emails_of_the_demo_parse_with_a_readable_pdf(demo_report: dict[str, Any], artifacts: Path) -> None:
    emails = _artifacts_of(demo_report, "EMAIL", artifacts)
    assert len(emails) == 4
    invoices = {i["invoice_id"]: i for i in demo_report["invoices"]}
    for delivery, path in emails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        pdfs = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdfs[0].get_content())).pages)
        # The invoice went by this email, unless the email is its financier's copy (R17).
        assert delivery["kind"] == "FACTORING" or invoices[delivery["invoice_id"]]["channel"] == "EMAIL"
        assert delivery["invoice_id"].split("-")[1] in text  # the invoice number is printed


def test_r15_print_letter_shows_the_recipients_postcode_and_town(
    demo_report: dict[str, Any], artifacts: Path
) -> None:
    letters = _artifacts_of(demo_report, "PRINT", artifacts)
    assert [(d["invoice_id"], d["kind"]) for d, _ in letters] == [("k-1004", "INVOICE")]
    first_page = PdfReader(str(letters[0][1])).pages[0].extract_text()
    assert "90100" in first_page
    assert "Oulu" in first_page


def test_r24_demo_nights_succeed(demo_report: dict[str, Any]) -> None:
    runs = demo_report["runs"]
    assert [run["run_date"] for run in runs] == ["2026-03-10", "2026-03-11"]
    assert all(e["status"] == "SUCCEEDED" for run in runs for e in run["executions"])
    first, second = runs
    assert (first["selected"], first["sent"], first["ignored"], first["failed"]) == (10, 7, 1, 2)
    assert (second["selected"], second["sent"], second["ignored"], second["failed"]) == (2, 2, 0, 0)


@pytest.mark.parametrize("invoice_id", EXPECTED)
def test_r5_to_r18_demo_invoice_ends_as_the_hand_worked_table_says(
    demo_report: dict[str, Any], invoice_id: str
) -> None:
    assert outcomes(demo_report)[invoice_id] == EXPECTED[invoice_id]


def test_r23_demo_has_exactly_one_delivery_per_sent_invoice(demo_report: dict[str, Any]) -> None:
    assert_exactly_one_delivery_per_sent_invoice(demo_report)


def test_r17_factoring_message_delivered_once_by_email(demo_report: dict[str, Any]) -> None:
    factoring = [d for d in demo_report["deliveries"] if d["kind"] == "FACTORING"]
    assert [(d["invoice_id"], d["channel"]) for d in factoring] == [("k-1009", "EMAIL")]
    history = next(i["history"] for i in demo_report["invoices"] if i["invoice_id"] == "k-1009")
    assert [e["event"] for e in history][-2:] == ["SENT", "FACTORING_SENT"]


def test_r18_direct_payment_notice_delivered_by_einvoice(demo_report: dict[str, Any]) -> None:
    notice = [d for d in demo_report["deliveries"] if d["invoice_id"] == "k-1008"]
    assert [(d["channel"], d["kind"]) for d in notice] == [("EINVOICE", "DIRECT_PAYMENT_NOTICE")]


def test_r21_each_tenant_with_failures_notified_once_the_first_night(demo_report: dict[str, Any]) -> None:
    sent = sorted((n["run_date"], n["tenant_id"], n["kind"], n["to"]) for n in demo_report["notifications"])
    assert sent == [
        ("2026-03-10", "kahvila", "EMAIL", "laskutus@kahvila-aurinko.fi"),
        ("2026-03-10", "kahvila", "SMS", "+358401234567"),
        ("2026-03-10", "tilitoimisto", "EMAIL", "toimisto@kuusi.example"),
    ]
    tilitoimisto = next(n for n in demo_report["notifications"] if n["tenant_id"] == "tilitoimisto")
    assert "501" in tilitoimisto["body"]
    assert "503" in tilitoimisto["body"]
    # R21, R16: the demo's k-1005 is recognised by its customer and reads both reasons.
    kahvila = next(
        n for n in demo_report["notifications"] if n["kind"] == "EMAIL" and n["tenant_id"] == "kahvila"
    )
    assert "Invoice 1005 (FAILED) – Ei Osoitetta – " in kahvila["body"]
    assert "1. Email invoice (cannot be used): the customer has no email address" in kahvila["body"]
    assert (
        "2. Print service (cannot be used): the customer's address details are incomplete for a letter"
        in kahvila["body"]
    )


def test_r19_failed_invoice_explains_every_channel_in_order(demo_report: dict[str, Any]) -> None:
    t503 = next(i for i in demo_report["invoices"] if i["invoice_id"] == "t-503")
    assert t503["message"].startswith("Automatic dispatch failed:")
    assert "\n" not in t503["message"]
    details = t503["details"]
    assert details.index("E-invoice to a business or consumer") < details.index("Email invoice")
    assert "not enabled" in details


def _run_with_dispatch(
    scenario: Scenario, handler: Any, nights: list[date] = NIGHTS, **kwargs: Any
) -> dict[str, Any]:
    with LocalAws(handlers={"DispatchInvoice": handler}, **kwargs) as local:
        return run_scenario(scenario, nights, local=local)


def test_r23_retried_batch_never_sends_twice(demo_scenario: Scenario) -> None:
    """The first invocation does its work but its result is lost: Step Functions retries the batch."""
    calls = {"count": 0}

    def lose_first_result(event: dict[str, Any], context: Any) -> Any:
        result = dispatch_handler.handler(event, context)
        calls["count"] += 1
        if calls["count"] == 1:
            raise TransientError("the response was lost after the batch was handled")
        return result

    report = _run_with_dispatch(demo_scenario, lose_first_result)
    assert calls["count"] >= 3  # two nights plus the retry
    assert outcomes(report) == EXPECTED
    assert_exactly_one_delivery_per_sent_invoice(report)


class ProcessDied(BaseException):
    """The function's process ends on the spot: nothing after the send runs, nothing is caught."""


def test_r23_crash_between_send_and_record_fails_email_in_doubt(demo_scenario: Scenario) -> None:
    """The function dies right after SES accepted k-1003's email; the next night finds the attempt
    and fails the invoice instead of emailing the customer again."""
    nights_seen: list[str] = []

    class CrashAfterEmail:
        crashed = False

        @property
        def inner(self) -> Any:
            # Built inside the embedded AWS, as the handler would build it.
            return wiring.deliverer()

        def deliver(self, invoice: Any, tenant: Any, channel: Channel, kind: Any, *rest: Any) -> Any:
            receipt = self.inner.deliver(invoice, tenant, channel, kind, *rest)
            if invoice.invoice_id == "k-1003" and not self.crashed:
                self.crashed = True
                raise ProcessDied
            return receipt

        def deliver_factoring(self, *args: Any) -> Any:
            return self.inner.deliver_factoring(*args)

        def transmission_for(self, *args: Any) -> Any:
            return self.inner.transmission_for(*args)

        def transmit(self, attempt: str) -> Any:
            return self.inner.transmit(attempt)

        def abandon(self, attempt: str) -> None:
            self.inner.abandon(attempt)

        def transmitted(self, key: str) -> bool:
            return bool(self.inner.transmitted(key))

        def flush_archive(self) -> bool:
            return bool(self.inner.flush_archive())

        def recover_copies(self, *args: Any) -> int:
            return int(self.inner.recover_copies(*args))

    crashing = CrashAfterEmail()

    def dispatch(event: dict[str, Any], context: Any) -> Any:
        nights_seen.append(event["run"]["run_date"])
        # The second night runs after the dead run's claim lease has run out.
        later = event["run"]["run_date"] != "2026-03-10"
        offset = timedelta(hours=2) if later else timedelta(0)
        try:
            return dispatch_handler.handler(
                event, context, deliverer=crashing, clock=lambda: datetime.now(UTC) + offset
            )
        except ProcessDied:
            # What Step Functions sees when the Lambda runtime dies mid-invocation.
            raise RuntimeError("Runtime.ExitError") from None

    report = _run_with_dispatch(demo_scenario, dispatch)
    # R24: the retried batch finishes the others and the night's final settlement ends k-1003 in
    # doubt, so the night itself completes.
    assert report["runs"][0]["executions"][0]["status"] == "SUCCEEDED"
    k1003 = next(i for i in report["invoices"] if i["invoice_id"] == "k-1003")
    assert k1003["auto_dispatch"] == "FAILED"
    assert "unknown whether the invoice reached the customer" in k1003["message"]
    assert invoice_deliveries(report)["k-1003"] == 1
    # Every other invoice still ends as the spec says.
    others = {k: v[0] for k, v in outcomes(report).items() if k != "k-1003"}
    assert others == {k: v[0] for k, v in EXPECTED.items() if k != "k-1003"}
    sent = {i["invoice_id"] for i in report["invoices"] if i["sent_on"] is not None}
    assert {i: invoice_deliveries(report)[i] for i in sent} == dict.fromkeys(sent, 1), report["deliveries"]


def test_r23_concurrent_starts_send_each_invoice_once(demo_scenario: Scenario) -> None:
    starts = 3
    report = run_scenario(demo_scenario, NIGHTS, concurrent_starts=starts)
    assert all(len(run["executions"]) == starts for run in report["runs"])
    # Started as the CLI and the API start a run (logic.runs.start_run): one naming scheme, unique.
    names = [(run["run_date"], e["name"]) for run in report["runs"] for e in run["executions"]]
    assert all(re.fullmatch(rf"local-{night}-[0-9a-f]{{8}}", name) for night, name in names), names
    assert len({name for _, name in names}) == len(names)
    assert all(e["status"] == "SUCCEEDED" for run in report["runs"] for e in run["executions"])
    assert outcomes(report) == EXPECTED
    assert_exactly_one_delivery_per_sent_invoice(report)
    assert sum(run["sent"] for run in report["runs"]) == 9
    # Per night, each invoice once: the same counts as a night with one execution.
    single = run_scenario(demo_scenario, NIGHTS)
    counted = ("run_date", "selected", "sent", "ignored", "failed")
    assert [{k: run[k] for k in counted} for run in report["runs"]] == [
        {k: run[k] for k in counted} for run in single["runs"]
    ]


@pytest.mark.parametrize("method", ["add_run_counts", "add_run_issues"])
def test_r21_r24_a_kill_at_the_batchs_run_write_still_notifies_every_failure_and_counts_true(
    demo_scenario: Scenario, demo_report: dict[str, Any], method: str
) -> None:
    """Issue 21: every invoice of the first night's batch is settled, then the process dies as it
    records the run's counts or issues; the retried batch finds nothing left. The run's last sweep
    recovers both from the invoices, so the night says what a night nothing killed says."""

    class DiesAtTheRunWrite:
        died = False

        @property
        def inner(self) -> Any:
            return wiring.invoice_store()  # built inside the embedded AWS, as the handler builds it

        def __getattr__(self, name: str) -> Any:
            call = getattr(self.inner, name)
            if name != method or DiesAtTheRunWrite.died:
                return call

            def dies(*args: Any, **kwargs: Any) -> Any:
                DiesAtTheRunWrite.died = True
                raise ProcessDied

            return dies

    def dispatch(event: dict[str, Any], context: Any) -> Any:
        try:
            return dispatch_handler.handler(event, context, store=DiesAtTheRunWrite())  # type: ignore[arg-type]
        except ProcessDied:
            raise RuntimeError("Runtime.ExitError") from None

    report = _run_with_dispatch(demo_scenario, dispatch)
    assert DiesAtTheRunWrite.died
    assert outcomes(report) == EXPECTED
    counted = ("run_date", "selected", "sent", "ignored", "failed", "follow_ups_failed")
    assert [{k: run[k] for k in counted} for run in report["runs"]] == [
        {k: run[k] for k in counted} for run in demo_report["runs"]
    ]
    told = sorted((n["run_date"], n["tenant_id"], n["kind"], n["body"]) for n in report["notifications"])
    assert told == sorted(
        (n["run_date"], n["tenant_id"], n["kind"], n["body"]) for n in demo_report["notifications"]
    )
    kahvila = next(n for n in report["notifications"] if n["kind"] == "EMAIL" and n["tenant_id"] == "kahvila")
    assert "Invoice 1005 (FAILED)" in kahvila["body"]


def test_r19_a_kill_at_the_batchs_archive_write_leaves_every_sent_email_archived_as_sent(
    demo_scenario: Scenario,
) -> None:
    """Issue 21: the first night's batch sent and settled every invoice, then its process died as it
    wrote the batch's archive object, with every copy in its memory. The retried batch renders them
    again from the records: each email SES took is in the archive byte for byte, labelled as
    rendered again, and nothing that was not sent is there."""

    dying = DiesAtArchiveWrites(times=1)
    report, members, re_rendered, sent = _night_dying_at_archive_writes(demo_scenario, dying, [])
    assert dying.deaths == 1
    assert outcomes(report) == EXPECTED
    assert_exactly_one_delivery_per_sent_invoice(report)
    emailed = sorted(len(message) for message in sent)
    assert emailed
    assert sorted(len(copy) for copy in members.values()) == emailed  # only what was sent is archived
    assert sorted(members.values()) == sorted(sent)  # and byte for byte
    first_night = {d["invoice_id"] for d in report["deliveries"] if d["channel"] == "EMAIL"}
    assert re_rendered
    assert {name.split("/")[2] for name in re_rendered} <= first_night


def test_r19_a_kill_in_the_batchs_last_retry_at_its_archive_write_leaves_every_sent_email_archived(
    demo_scenario: Scenario,
) -> None:
    """Issue 21: the first night's batch dies as it writes its archive object in each of its three
    invocations (the state machine's retries run out). SettleFailedBatch, the catch that runs the
    dispatch function once more, writes the copies the last one died with: each email SES took is in
    the archive byte for byte, labelled as rendered again, and the night still ends as the demo's."""

    dying = DiesAtArchiveWrites(times=3)  # DispatchBatch and its two retries
    steps: list[bool] = []
    report, members, re_rendered, sent = _night_dying_at_archive_writes(demo_scenario, dying, steps)
    assert dying.deaths == 3
    assert steps[:4] == [False, False, False, True]  # three invocations, then the batch's catch
    assert all(run["executions"][0]["status"] == "SUCCEEDED" for run in report["runs"])
    assert outcomes(report) == EXPECTED
    assert_exactly_one_delivery_per_sent_invoice(report)
    emailed = sorted(sent)
    assert emailed
    assert sorted(members.values()) == emailed  # every email sent is archived, byte for byte, and only those
    first_night = {d["invoice_id"] for d in report["deliveries"] if d["channel"] == "EMAIL"}
    assert re_rendered
    assert {name.split("/")[2] for name in re_rendered} <= first_night


def _night_dying_at_archive_writes(
    scenario: Scenario, dying: "DiesAtArchiveWrites", steps: list[bool]
) -> tuple[dict[str, Any], dict[str, bytes], set[str], list[bytes]]:
    """The demo's nights with DispatchInvoice's process dying where `dying` says; `steps` records
    whether each invocation was the batch's catch (its event carries the failure)."""

    def dispatch(event: dict[str, Any], context: Any) -> Any:
        steps.append("failure" in event)
        try:
            return dispatch_handler.handler(event, context, deliverer=dying)
        except ProcessDied:
            raise RuntimeError("Runtime.ExitError") from None

    with LocalAws(handlers={"DispatchInvoice": dispatch}) as local:
        report = run_scenario(scenario, NIGHTS, local=local)
        return (report, *archived_and_emailed(local))


def archived_and_emailed(local: LocalAws) -> tuple[dict[str, bytes], set[str], list[bytes]]:
    """The night's archive (each copy by its member name, and the names of those rendered again)
    and the invoice emails SES took, as raw messages."""
    s3 = local.client("s3")
    members: dict[str, bytes] = {}
    re_rendered: set[str] = set()
    for item in s3.list_objects_v2(Bucket=BUCKET_NAME, Prefix=BATCH_PREFIX)["Contents"]:
        with zipfile.ZipFile(
            io.BytesIO(s3.get_object(Bucket=BUCKET_NAME, Key=item["Key"])["Body"].read())
        ) as z:
            members.update({name: z.read(name) for name in z.namelist() if name != RE_RENDERED_MEMBER})
            if RE_RENDERED_MEMBER in z.namelist():
                re_rendered.update(json.loads(z.read(RE_RENDERED_MEMBER)))
    raws = [raw.raw_data for raw in sent_emails() if getattr(raw, "raw_data", None) is not None]
    sent = [data.encode() if isinstance(data, str) else data for data in raws]
    return members, re_rendered, [message for message in sent if b"X-Autodispatch-Invoice" in message]


class DiesAtArchiveWrites:
    """The deployed deliverer, in a process that dies as it writes its archive object, the first
    `times` times (each death a new process: nothing of the dead one's memory is left)."""

    def __init__(self, times: int) -> None:
        self.times, self.deaths = times, 0
        self.process: Any = None

    def _live(self) -> Any:
        if self.process is None:
            self.process = build_deliverer(load_config())
        return self.process

    def deliver(self, *args: Any) -> Any:
        return self._live().deliver(*args)

    def deliver_factoring(self, *args: Any) -> Any:
        return self._live().deliver_factoring(*args)

    def transmission_for(self, *args: Any) -> Any:
        return self._live().transmission_for(*args)

    def transmit(self, attempt: str) -> Any:
        return self._live().transmit(attempt)

    def abandon(self, attempt: str) -> None:
        self._live().abandon(attempt)

    def transmitted(self, key: str) -> bool:
        return bool(self._live().transmitted(key))

    def recover_copies(self, *args: Any) -> int:
        return int(self._live().recover_copies(*args))

    def flush_archive(self) -> bool:
        if self.deaths < self.times:
            self.deaths, self.process = self.deaths + 1, None
            raise ProcessDied
        return bool(self._live().flush_archive())
