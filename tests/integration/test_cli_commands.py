"""The operator commands (settings, import, manual send, removal) through the CLI, against the
local system in-process (moto's mock, no server) with the outputs stack `local serve` publishes.

One system per module; every test works on tenants of its own, so the tests stay independent.
"""

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from autodispatch_cli import output
from autodispatch_cli.exit_codes import ExitCode
from autodispatch_cli.local.runtime import LocalAws
from autodispatch_cli.local.serve import publish
from autodispatch_cli.target import DEFAULT_STACK, STACK_ENV
from tests.integration.cli_runs import cli, one_line_error

DEMO_FILE = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"
DEMO: dict[str, Any] = json.loads(DEMO_FILE.read_text("utf-8"))


def cli_json(*args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def tenant(tenant_id: str, **settings: Any) -> dict[str, Any]:
    """The demo's kahvila under another id, with settings changed."""
    document = copy.deepcopy(next(t for t in DEMO["tenants"] if t["tenant_id"] == "kahvila"))
    document["tenant_id"] = tenant_id
    document["settings"].update(settings)
    return document


LATER = "2026-03-20T10:00:00+02:00"  # after every run date of this module: no run takes it
DUE_ON_10_MARCH = "2026-03-09T10:00:00+02:00"


def invoice(tenant_id: str, invoice_id: str, template: str = "k-1001", **changes: Any) -> dict[str, Any]:
    """A demo invoice under another id; created after the nights run here unless changed."""
    document = copy.deepcopy(next(i for i in DEMO["invoices"] if i["invoice_id"] == template))
    document.update({"tenant_id": tenant_id, "invoice_id": invoice_id, "created_at": LATER, **changes})
    return document


@pytest.fixture(scope="module")
def system() -> Iterator[LocalAws]:
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "AWS_ENDPOINT_URL",
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            STACK_ENV,
            "POWERTOOLS_LOG_LEVEL",
        ):
            patch.delenv(name, raising=False)
        patch.setattr(output.console, "width", 200)
        with LocalAws() as local:
            publish(local, DEFAULT_STACK)
            yield local


Loader = Callable[..., Result]


@pytest.fixture
def load(system: LocalAws, tmp_path: Path) -> Loader:
    """Import tenants and invoices through the CLI, as one scenario file."""
    files = count()

    def load(tenants: Sequence[dict[str, Any]] = (), invoices: Sequence[dict[str, Any]] = ()) -> Result:
        path = tmp_path / f"scenario-{next(files)}.json"
        path.write_text(json.dumps({"tenants": list(tenants), "invoices": list(invoices)}), encoding="utf-8")
        return cli("invoices", "import", str(path))

    return load


# Settings (R1, R2) ---------------------------------------------------------------------------


def test_r2_activation_refused_names_every_missing_setting(load: Loader) -> None:
    empty = {"active": False, "sources": [], "channels": [], "notify_email": None, "notify_phone": None}
    assert load([tenant("r2-empty", **empty)]).exit_code == 0
    line = one_line_error(cli("settings", "activate", "--tenant", "r2-empty"))
    assert "r2-empty" in line
    for problem in ("invoice source", "delivery channel", "notification email or phone"):
        assert problem in line
    assert cli_json("settings", "show", "--tenant", "r2-empty")["settings"]["active"] is False


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--notify-email", "nobody@", "--notify-email"),
        ("--notify-phone", "040 12", "--notify-phone"),
    ],
)
def test_r1_bad_recipient_is_one_line_naming_the_option(
    load: Loader, option: str, value: str, expected: str
) -> None:
    assert load([tenant("r1-bad")]).exit_code == 0
    line = one_line_error(cli("settings", "set", "--tenant", "r1-bad", option, value))
    assert expected in line


def test_r1_set_replaces_lists_and_keeps_the_rest(load: Loader) -> None:
    assert load([tenant("r1-set", active=False)]).exit_code == 0
    shown = cli_json(
        "settings", "set", "--tenant", "r1-set", "--channel", "EMAIL", "--channel", "print",
        "--source", "API", "--timing", "INVOICE_DATE", "--notify-phone", "+358401234567",
        "--no-consumer-einvoicing",
    )  # fmt: skip
    settings = shown["settings"]
    assert settings["channels"] == ["EMAIL", "PRINT"]
    assert settings["sources"] == ["API"]
    assert settings["timing"] == "INVOICE_DATE"
    assert settings["notify_phone"] == "+358401234567"
    assert settings["notify_email"] == "laskutus@kahvila-aurinko.fi"  # untouched
    assert settings["consumer_einvoicing"] is False


def test_r2_an_active_tenant_keeps_a_recipient(load: Loader) -> None:
    assert load([tenant("r2-active", notify_phone=None)]).exit_code == 0
    line = one_line_error(cli("settings", "set", "--tenant", "r2-active", "--notify-email", ""))
    assert "notification email or phone" in line
    assert cli_json("settings", "show", "--tenant", "r2-active")["settings"]["notify_email"] is not None


def test_r2_activation_turns_older_unsent_invoices_off_until_restored(load: Loader) -> None:
    assert load([tenant("r2-late", active=False)], [invoice("r2-late", "old-1")]).exit_code == 0
    assert cli_json("invoices", "show", "--tenant", "r2-late", "old-1")["auto_dispatch"] == "PENDING"
    activated = cli("settings", "activate", "--tenant", "r2-late")
    assert activated.exit_code == 0, activated.output
    assert cli_json("settings", "show", "--tenant", "r2-late")["settings"]["activated_at"] is not None
    entry = cli_json("invoices", "show", "--tenant", "r2-late", "old-1")
    assert entry["auto_dispatch"] == "REMOVED"
    assert "before automatic dispatch was activated" in entry["message"]
    restored = cli("invoices", "restore-auto", "--tenant", "r2-late", "old-1")
    assert restored.exit_code == 0, restored.output
    assert cli_json("invoices", "show", "--tenant", "r2-late", "old-1")["auto_dispatch"] == "PENDING"


def test_r2_deactivation_stops_runs_for_the_tenant(load: Loader) -> None:
    assert load([tenant("r2-off")], [invoice("r2-off", "off-1", created_at=DUE_ON_10_MARCH)]).exit_code == 0
    assert cli("settings", "deactivate", "--tenant", "r2-off").exit_code == 0
    assert cli_json("settings", "show", "--tenant", "r2-off")["settings"]["active"] is False
    run = cli_json("runs", "start", "--date", "2026-03-10", "--wait")
    assert run["status"] == "SUCCEEDED"
    assert cli_json("invoices", "show", "--tenant", "r2-off", "off-1")["auto_dispatch"] == "PENDING"


def test_r2_import_activate_and_deactivate_print_json_for_scripts(load: Loader, tmp_path: Path) -> None:
    path = tmp_path / "r2-json.json"
    path.write_text(json.dumps({"tenants": [tenant("r2-json", active=False)], "invoices": []}))
    imported = cli_json("invoices", "import", str(path))
    assert (imported["tenants"], imported["invoices"]) == (1, 0)
    activated = cli_json("settings", "activate", "--tenant", "r2-json")
    assert (activated["settings"]["active"], activated["already_active"]) == (True, False)
    assert cli_json("settings", "activate", "--tenant", "r2-json")["already_active"] is True
    with_language = cli_json("settings", "set", "--tenant", "r2-json", "--language", "sv")
    assert with_language["settings"]["language"] == "sv"  # R21: the notifications' language
    deactivated = cli_json("settings", "deactivate", "--tenant", "r2-json")
    assert (deactivated["tenant_id"], deactivated["settings"]["active"]) == ("r2-json", False)


def test_unknown_choice_is_a_usage_error_not_a_traceback(system: LocalAws) -> None:
    result = cli("settings", "set", "--tenant", "x", "--channel", "FAX")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "FAX" in result.output


# Import (R25) --------------------------------------------------------------------------------


def test_r25_import_lists_every_bad_record_and_imports_nothing(load: Loader) -> None:
    bad_date = invoice("r25", "bad-1", due_date="2026-13-01")
    bad_channel = invoice("r25", "bad-2", delivery_channel="FAX")
    result = load([tenant("r25")], [invoice("r25", "good-1"), bad_date, bad_channel])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "invoice 'bad-1'" in lines[0]
    assert "due_date" in lines[0]
    assert "invoice 'bad-2'" in lines[1]
    assert "delivery_channel" in lines[1]
    assert "Unknown tenant 'r25'" in one_line_error(cli("settings", "show", "--tenant", "r25"))


@pytest.mark.parametrize(
    ("language", "due_date", "unknown", "phone"),
    [
        ("fi", "on oltava päivämäärä", "Tuntematon yritys 'r30'", "ei ole kelvollinen puhelinnumero"),
        ("sv", "måste vara ett datum", "Okänt företag 'r30'", "är inget giltigt telefonnummer"),
    ],
)
def test_r25_r30_the_clis_error_lines_read_in_the_language_asked_for(
    system: LocalAws, tmp_path: Path, language: str, due_date: str, unknown: str, phone: str
) -> None:
    path = tmp_path / "scenario.json"
    bad = invoice("r30", "bad-1", due_date="2026-13-01")
    path.write_text(json.dumps({"tenants": [tenant("r30")], "invoices": [bad]}), encoding="utf-8")
    line = one_line_error(cli("--lang", language, "invoices", "import", str(path)))
    assert line.startswith(f"error: {'yritys' if language == 'fi' else 'företag'} 'r30', ")
    assert "'due_date'" in line
    assert due_date in line
    assert unknown in one_line_error(cli("--lang", language, "settings", "show", "--tenant", "r30"))
    assert cli("invoices", "import", str(path.with_name("none.json"))).exit_code != 0
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"tenants": [tenant("r30-ok")], "invoices": []}), encoding="utf-8")
    assert cli("invoices", "import", str(good)).exit_code == 0
    refused = one_line_error(
        cli("--lang", language, "settings", "set", "--tenant", "r30-ok", "--notify-phone", "040 12")
    )
    assert phone in refused
    assert "valid" not in refused


def test_import_invoices_of_a_tenant_already_in_the_system(load: Loader) -> None:
    assert load([tenant("known")]).exit_code == 0
    result = load([], [invoice("known", "later-1")])
    assert result.exit_code == 0, result.output
    assert cli_json("invoices", "list", "--tenant", "known")[0]["invoice_id"] == "later-1"


def test_r27_invoices_list_shows_what_the_next_night_does_with_a_pending_invoice(load: Loader) -> None:
    assert load([tenant("known")], [invoice("known", "later-1")]).exit_code == 0
    listed = cli_json("invoices", "list", "--tenant", "known")[0]
    assert listed["auto_dispatch"] == "PENDING"
    assert listed["preview"]["outcome"] in {"SEND", "IGNORE", "FAIL"}
    assert listed["preview"]["message"]
    assert "Next night" in cli("invoices", "list", "--tenant", "known").output


def test_import_invoice_of_an_unknown_tenant_names_it(load: Loader) -> None:
    line = one_line_error(load([], [invoice("ghost", "g-1")]))
    assert "tenant 'ghost'" in line
    assert "invoice 'g-1'" in line


def test_import_of_a_file_that_is_not_json_is_one_line(system: LocalAws, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    assert "is not valid JSON" in one_line_error(cli("invoices", "import", str(path)))
    assert "cannot read" in one_line_error(cli("invoices", "import", str(tmp_path / "missing.json")))


# Removal and manual send (R20, R22) ----------------------------------------------------------


def test_r20_remove_is_refused_on_a_failed_invoice_with_the_reason(load: Loader) -> None:
    no_contact = invoice("r20", "f-1", template="k-1005", created_at=DUE_ON_10_MARCH)
    assert load([tenant("r20")], [no_contact]).exit_code == 0
    assert cli_json("runs", "start", "--date", "2026-03-10", "--wait")["status"] == "SUCCEEDED"
    assert cli_json("invoices", "show", "--tenant", "r20", "f-1")["auto_dispatch"] == "FAILED"
    line = one_line_error(cli("invoices", "remove-auto", "--tenant", "r20", "f-1"))
    assert "r20/f-1" in line
    assert line.endswith("its automatic dispatch failed; send it manually")  # in words (R30)


def test_r22_chosen_channel_that_cannot_be_used_is_refused_and_nothing_changes(load: Loader) -> None:
    assert load([tenant("r22-a")], [invoice("r22-a", "p-1", template="k-1005")]).exit_code == 0
    line = one_line_error(cli("invoices", "send", "--tenant", "r22-a", "p-1", "--channel", "PRINT"))
    assert "by print service" in line
    assert "incomplete" in line
    entry = cli_json("invoices", "show", "--tenant", "r22-a", "p-1")
    assert (entry["status"], entry["auto_dispatch"], entry["history"]) == ("UNSENT", "PENDING", [])


def test_r22_direct_payment_goes_only_by_einvoice_or_print(load: Loader) -> None:
    assert load([tenant("r22-dp")], [invoice("r22-dp", "dp-1", template="k-1008")]).exit_code == 0
    line = one_line_error(cli("invoices", "send", "--tenant", "r22-dp", "dp-1", "--channel", "EMAIL"))
    assert "direct-payment" in line


def test_r22_pending_invoice_sent_manually_is_never_sent_again_by_a_run(load: Loader) -> None:
    due = invoice("r22-p", "m-1", template="k-1003", created_at=DUE_ON_10_MARCH)
    assert load([tenant("r22-p")], [due]).exit_code == 0
    sent = cli("invoices", "send", "--tenant", "r22-p", "m-1", "--channel", "EMAIL")
    assert sent.exit_code == 0, sent.output
    cli_json("runs", "start", "--date", "2026-03-10", "--wait")
    entry = cli_json("invoices", "show", "--tenant", "r22-p", "m-1")
    assert entry["status"] == "SENT"
    events = [event["event"] for event in entry["history"]]
    assert events == ["REMOVED_BY_USER", "SENT_MANUALLY"]  # the removal kept every run away (R23)
    # It ends in a state that says so, not REMOVED.
    assert (entry["auto_dispatch"], entry["message"], entry["channel"]) == ("SENT", "Sent manually", "EMAIL")
    assert entry["sent_on"] is not None


def test_r22_explicit_channel_need_not_be_enabled_for_automatic_dispatch(load: Loader) -> None:
    only_print = tenant("r22-c", channels=["EINVOICE", "PRINT"])
    assert load([only_print], [invoice("r22-c", "c-1", template="k-1003")]).exit_code == 0
    line = one_line_error(cli("invoices", "send", "--tenant", "r22-c", "c-1"))
    assert "delivery channel “Email invoice” is not enabled" in line
    sent = cli("invoices", "send", "--tenant", "r22-c", "c-1", "--channel", "email")
    assert sent.exit_code == 0, sent.output
    assert cli_json("invoices", "show", "--tenant", "r22-c", "c-1")["channel"] == "EMAIL"


def test_r20_r22_actions_print_json_for_scripts(load: Loader) -> None:
    assert load([tenant("r22-j")], [invoice("r22-j", "j-1", template="k-1003")]).exit_code == 0
    removed = cli_json("invoices", "remove-auto", "--tenant", "r22-j", "j-1")
    restored = cli_json("invoices", "restore-auto", "--tenant", "r22-j", "j-1")
    sent = cli_json("invoices", "send", "--tenant", "r22-j", "j-1", "--channel", "EMAIL")
    assert (removed["invoice_id"], removed["auto_dispatch"]) == ("j-1", "REMOVED")
    assert restored["auto_dispatch"] == "PENDING"
    assert sent["channel"] == "EMAIL"
    assert sent["key"] == {"tenant_id": "r22-j", "invoice_id": "j-1"}
    assert sent["message_id"].startswith("INV-")


def test_r1_r10_runs_start_refuses_a_night_that_has_not_come(load: Loader) -> None:
    before = cli_json("runs", "list")
    result = cli("runs", "start", "--date", "2999-01-01")
    assert result.exit_code == ExitCode.USAGE
    assert "run_date" in one_line_error(result)
    assert "2999-01-01" in result.stderr
    assert cli_json("runs", "list") == before  # nothing started


# R30: the readable outputs in the reader's language --------------------------------------------

INTERNAL_NAMES = ("PENDING", "REMOVED", "UNSENT", "EMAIL", "EINVOICE", "QUEUED", "REMOVED_BY_USER", "MANUAL")
ENGLISH_WORDS = ("Invoices of", "automatic dispatch", "History", "Explanation", "Imported", "No invoices")


@pytest.mark.parametrize(
    ("language", "heading", "state"), [("sv", "Faktura", "Borttagen"), ("fi", "Lasku", "Poistettu")]
)
def test_r30_invoice_commands_speak_the_readers_language_and_show_no_internal_names(
    load: Loader, tmp_path: Path, language: str, heading: str, state: str
) -> None:
    owner = f"r30-words-{language}"
    path = tmp_path / "words.json"
    path.write_text(json.dumps({"tenants": [tenant(owner)], "invoices": [invoice(owner, "w-1")]}), "utf-8")
    readable = [
        cli("--lang", language, "invoices", "import", str(path)),
        cli("--lang", language, "invoices", "remove-auto", "--tenant", owner, "w-1"),
        cli("--lang", language, "invoices", "list", "--tenant", owner),
        cli("--lang", language, "invoices", "show", "--tenant", owner, "w-1"),
        cli("--lang", language, "invoices", "list", "--tenant", owner, "--state", "SENT"),
    ]
    for result in readable:
        assert result.exit_code == 0, result.output
        for word in (*INTERNAL_NAMES, *ENGLISH_WORDS):
            assert word not in result.stdout, (word, result.stdout)
    for shown_text in (readable[2].stdout, readable[3].stdout):
        assert heading in shown_text
        assert state in shown_text
    # The JSON for scripts keeps the internal names, whatever the language.
    document = cli_json("--lang", language, "invoices", "show", "--tenant", owner, "w-1")
    assert (document["status"], document["auto_dispatch"]) == ("UNSENT", "REMOVED")
    assert [event["event"] for event in document["history"]] == ["REMOVED_BY_USER"]
