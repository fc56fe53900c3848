"""R30: the operator commands' readable output (runs, settings, invoices) and their error lines in the
reader's language, from the one catalogue (Swedish in the guide's words, GLOSSARY.md); `--lang`
before or after the subcommand; `--json` the same in every language.

The local system in-process (moto's mock), as in test_cli_commands; tenants of their own per test.
"""

import re
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import Result

from autodispatch.i18n import render
from autodispatch.i18n.catalogue import MESSAGES
from autodispatch.models.text import Text
from autodispatch_cli.exit_codes import ExitCode
from autodispatch_cli.local import serve
from tests.integration.test_cli_commands import cli, cli_json, invoice, load, one_line_error, system, tenant

__all__ = ["load", "system"]  # the fixtures this module uses

# Internal names and English words no Finnish or Swedish reader may see (whole words: "no" is not "nej").
INTERNAL = re.compile(
    r"\b(SUCCEEDED|FAILED|RUNNING|IGNORED|PENDING|SENT|UNSENT|EINVOICE|EMAIL|PRINT|INVOICE_DATE|"
    r"CREATION_DATE|CONTRACT_BILLING|MANUAL|REBILLING|API|IMPORTED_AS_SENT|True|False|R\d+|"
    r"yes|no|Run|Runs|Started|selected|Executions|Invoices|Setting|Automatic dispatch)\b"
)

GLOSSARY = {
    "sv": {
        "sources": "Skicka automatiskt fakturor vars källa är",
        "source": "Avtalsfakturering",
        "channels": "Använd endast följande fakturakanaler",
        "channel": "E-postfaktura",
        "timing": "Utskickstid",
        "timing_option": "Skicka fakturor baserat på fakturadatum",
        "language": "svenska",
        "yes": "ja",
        "no": "nej",
        "succeeded": "Lyckades",
        "sent_column": "Skickade fakturor",
        "ignored": "Ignorerad",
        "headline": "Automatisk utskick ignorerad",
        "imported": "Importerad som skickad",
        "activated": "är på från",
        "deactivated": "är av",
    },
    "fi": {
        "sources": "Lähetä automaattisesti laskut, joiden lähde on",
        "source": "Sopimuslaskutus",
        "channels": "Käytä vain seuraavia laskukanavia",
        "channel": "Sähköpostilasku",
        "timing": "Lähetysajankohta",
        "timing_option": "Lähetä laskut laskun päivämäärän perusteella",
        "language": "ruotsi",
        "yes": "kyllä",
        "no": "ei",
        "succeeded": "Onnistui",
        "sent_column": "Lähetetyt laskut",
        "ignored": "Ohitettu",
        "headline": "Automaattinen lähetys ohitettu",
        "imported": "Tuotu lähetettynä",
        "activated": "on käytössä",
        "deactivated": "ei ole käytössä",
    },
}


def readable(result: Result) -> str:
    """The command's output for a reader: it succeeded and names nothing internal."""
    assert result.exit_code == 0, result.output
    assert not INTERNAL.search(result.stdout), (INTERNAL.search(result.stdout), result.stdout)
    return result.stdout


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_r30_settings_commands_speak_the_glossarys_words(load: Any, language: str) -> None:
    owner = f"r30-settings-{language}"
    settings = {
        "active": False,
        "sources": ["CONTRACT_BILLING"],
        "channels": ["EMAIL"],
        "timing": "INVOICE_DATE",
    }
    assert load([tenant(owner, language="sv", **settings)]).exit_code == 0
    words = GLOSSARY[language]
    shown = readable(cli("--lang", language, "settings", "show", "--tenant", owner))
    for key in (
        "sources",
        "source",
        "channels",
        "channel",
        "timing",
        "timing_option",
        "language",
        "yes",
        "no",
    ):
        assert words[key] in shown, (key, shown)
    no_recipient = ("--notify-email", "", "--notify-phone", "")
    refused = readable(cli("--lang", language, "settings", "set", "--tenant", owner, *no_recipient))
    assert words["no"] + ":" in refused  # cannot be activated, and why, in the reader's words
    recipient = ("--notify-email", "laskutus@example.com")
    given = cli("settings", "set", "--tenant", owner, *recipient, "--lang", language)
    assert words["no"] + ":" not in readable(given)
    activated = readable(cli("settings", "activate", "--tenant", owner, "--lang", language))
    assert words["activated"] in activated
    deactivated = readable(cli("settings", "deactivate", "--tenant", owner, "--lang", language))
    assert words["deactivated"] in deactivated


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_r30_runs_commands_speak_the_readers_language(load: Any, language: str) -> None:
    owner = f"r30-runs-{language}"
    # The invoice's own channel is not enabled: the night ignores it (R11), with the guide's headline.
    due = invoice(owner, "ign-1", created_at="2026-03-09T10:00:00+02:00", delivery_channel="PRINT")
    assert load([tenant(owner, channels=["EMAIL"])], [due]).exit_code == 0
    words = GLOSSARY[language]
    started = readable(cli("runs", "start", "--date", "2026-03-10", "--wait", "--lang", language))
    assert words["succeeded"] in started
    assert words["sent_column"] in started
    run_id = cli_json("runs", "list", "--limit", "1")[0]["run_id"]
    assert words["succeeded"] in readable(cli("--lang", language, "runs", "list"))
    shown = readable(cli("runs", "show", run_id, "--lang", language))
    assert words["ignored"] in shown
    assert words["headline"] in shown


def _codes_only(document: Any) -> Any:
    """The document without its rendered messages (the invoices' --json speaks the language asked)."""
    if isinstance(document, list):
        return [_codes_only(item) for item in document]
    if isinstance(document, dict):
        return {k: _codes_only(v) for k, v in document.items() if k not in ("message", "details", "detail")}
    return document


def test_r30_json_keeps_its_codes_in_every_language(load: Any) -> None:
    """Scripts read --json: the internal names stay, and settings and runs are the same document
    whatever --lang says (only the invoices' rendered messages follow it, as before)."""
    owner = "r30-json"
    assert load([tenant(owner)], [invoice(owner, "j-1")]).exit_code == 0
    for command in (("settings", "show", "--tenant", owner), ("runs", "list")):
        english = cli_json(*command)
        assert cli_json("--lang", "sv", *command) == english
        assert cli_json(*command, "--lang", "fi") == english
    assert cli_json("settings", "show", "--tenant", owner, "--lang", "sv")["settings"]["channels"] == [
        "EINVOICE",
        "EMAIL",
        "PRINT",
    ]
    for command in (("invoices", "list", "--tenant", owner), ("invoices", "show", "--tenant", owner, "j-1")):
        english = _codes_only(cli_json(*command))
        assert _codes_only(cli_json(*command, "--lang", "sv")) == english


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_r5_r30_invoice_imported_as_sent_shows_so_and_no_empty_channel(load: Any, language: str) -> None:
    owner = f"r30-imported-{language}"
    assert load([tenant(owner)], [invoice(owner, "imp-1", status="SENT")]).exit_code == 0
    listed = readable(cli("invoices", "list", "--tenant", owner, "--lang", language))
    row = next(line for line in listed.splitlines() if "imp-1" in line)
    assert GLOSSARY[language]["imported"] in row
    assert "—" in row  # the channel it went by is not known
    assert cli_json("invoices", "list", "--tenant", owner)[0]["display_state"] == "IMPORTED_AS_SENT"
    shown = readable(cli("invoices", "show", "--tenant", owner, "imp-1", "--lang", language))
    assert GLOSSARY[language]["imported"] in shown


def test_r30_lang_after_the_subcommand_means_the_same_as_before_it(
    load: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = "r30-after"
    assert load([tenant(owner)], [invoice(owner, "a-1")]).exit_code == 0
    monkeypatch.setenv("LANG", "fi_FI.UTF-8")  # the option wins over the environment, wherever it is
    for command in (("settings", "show", "--tenant", owner), ("invoices", "show", "--tenant", owner, "a-1")):
        before = readable(cli("--lang", "sv", *command))
        after = readable(cli(*command, "--lang", "sv"))
        assert after == before
        assert "Faktura" in after or "Utskickstid" in after
    assert "Lähetysajankohta" in readable(cli("settings", "show", "--tenant", owner))  # LANG alone
    bad = cli("settings", "show", "--tenant", owner, "--lang", "de")
    assert bad.exit_code == ExitCode.USAGE


def test_r30_error_lines_read_in_the_language_asked_for(load: Any) -> None:
    line = one_line_error(cli("runs", "start", "--date", "2999-01-01", "--lang", "sv"))
    assert "2999" in line
    assert one_line_error(cli("runs", "show", "no-such-run", "--lang", "fi")).startswith("error: ")


@pytest.mark.parametrize(
    ("language", "missing"), [("sv", "stacken 'Other' hittades inte"), ("fi", "pinoa 'Other' ei löytynyt")]
)
def test_r30_stack_not_found_reads_in_the_language_asked_for(
    system: Any, language: str, missing: str
) -> None:
    result = cli("--stack", "Other", "invoices", "list", "--tenant", "t", "--lang", language)
    assert result.exit_code == ExitCode.FAILED
    assert missing in one_line_error(result)


@pytest.mark.parametrize(
    ("language", "running", "stopped"),
    [
        ("sv", "autodispatch körs lokalt på", "Stoppad."),
        ("fi", "autodispatch toimii paikallisesti", "Pysäytetty."),
    ],
)
def test_r30_local_serve_tells_what_to_export_in_the_language_asked_for(
    monkeypatch: pytest.MonkeyPatch, language: str, running: str, stopped: str
) -> None:
    def ready_at_once(port: int, stack: str, ready: Any, *_: Any) -> None:
        ready(SimpleNamespace(api_url="http://127.0.0.1:1/api", web_url="http://127.0.0.1:2/"))

    monkeypatch.setattr(serve, "serve_until_interrupted", ready_at_once)
    result = cli("local", "serve", "--lang", language)
    assert result.exit_code == 0, result.output
    assert running in result.stdout
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:4599" in result.stdout
    assert stopped in result.stdout
    assert not re.search(r"\b(running|Stopped|Everything|another shell)\b", result.stdout)


@pytest.mark.parametrize(("language", "words"), [("sv", "ange exakt ett av"), ("fi", "anna täsmälleen yksi")])
def test_r30_local_token_refuses_in_the_language_asked_for(language: str, words: str) -> None:
    result = cli("local", "token", "--lang", language)
    assert result.exit_code == ExitCode.USAGE
    assert words in result.output


# --help and usage errors (R30): the words of the command tree and of typer and click -------------

# Typer's and click's own English words a reader of the help would see.
TOOLKIT_ENGLISH = ("Usage:", "Options", "Commands", "Show this message and exit.", "[required]", "[default:")
TOOLKIT_WORDS = {
    "sv": ("Användning:", "Alternativ", "Visa den här hjälpen och avsluta."),
    "fi": ("Käyttö:", "Valitsimet", "Näytä tämä ohje ja lopeta."),
}
HELP_CODES = sorted(code for code in MESSAGES if code.startswith("cli.help."))


def _help(monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The help a command prints, on a terminal wide enough that no help text wraps."""
    monkeypatch.setenv("COLUMNS", "600")
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("language", ["sv", "fi"])
@pytest.mark.parametrize(
    ("command", "own"),
    [
        ((), ("cli.help.app", "cli.help.invoices", "cli.help.lang", "cli.help.exit_codes")),
        (("invoices", "list"), ("cli.help.invoices_list", "cli.help.tenant", "cli.help.state")),
        (("local", "run"), ("cli.help.local_run", "cli.help.scenario", "cli.help.concurrent_starts")),
        (("settings",), ("cli.help.settings", "cli.help.settings_set", "cli.help.activate")),
    ],
)
def test_r30_help_speaks_the_readers_language(
    monkeypatch: pytest.MonkeyPatch, language: str, command: tuple[str, ...], own: tuple[str, ...]
) -> None:
    shown = _help(monkeypatch, "--lang", language, *command, "--help")
    for code in own:
        assert render(Text.of(code), language) in shown, code
    for words in TOOLKIT_WORDS[language]:
        assert words in shown, words
    english = [render(Text.of(code), "en") for code in HELP_CODES]
    assert [text for text in english if text in shown] == []
    assert [words for words in TOOLKIT_ENGLISH if words in shown] == []


def test_r30_lang_after_the_subcommand_or_the_locale_translates_the_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "fi_FI.UTF-8")
    after = _help(monkeypatch, "invoices", "list", "--help", "--lang", "sv")
    assert render(Text.of("cli.help.invoices_list"), "sv") in after
    assert "Användning:" in after
    assert after == _help(monkeypatch, "--lang=sv", "invoices", "list", "--help")
    from_locale = _help(monkeypatch, "runs", "start", "--help")  # LANG alone
    assert render(Text.of("cli.help.runs_start"), "fi") in from_locale
    assert "Käyttö:" in from_locale


def test_r30_english_help_keeps_its_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    shown = _help(monkeypatch, "--help")
    for words in (
        "Usage: autodispatch",
        "Automatic dispatch of sales invoices: operate a deployed stack or run it locally.",
        "The CloudFormation stack whose outputs name the resources to operate.",
        "2 bad command line or input, nothing changed",
        "Show this message and exit.",
    ):
        assert words in shown, words
    assert not re.search(r"\bR\d+\b", shown)  # rule numbers are the spec's, not the reader's
    listed = _help(monkeypatch, "invoices", "list", "--help")
    assert "The tenant (company) id. [required]" in listed


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("--nosuch", "--lang", "sv"),
            "error: Okänt alternativ: --nosuch. Se 'autodispatch --help' för hjälp.",
        ),
        (
            ("--lang", "fi", "--nosuch"),
            "error: Tuntematon valitsin: --nosuch. Katso ohjeet: 'autodispatch --help'.",
        ),
        (
            ("invoices", "show", "--tenant", "t", "--lang", "fi"),
            "error: Argumentti 'invoice_id' puuttuu. Katso ohjeet: 'autodispatch invoices show --help'.",
        ),
        (
            ("runs", "list", "--limit", "x", "--lang", "sv"),
            "error: Ogiltigt värde för '--limit': 'x': måste vara ett heltal. "
            "Se 'autodispatch runs list --help' för hjälp.",
        ),
        (
            ("settings", "set", "--tenant", "t", "--channel", "FAX", "--lang", "sv"),
            "error: Ogiltigt värde för '--channel': 'FAX': måste vara något av följande: "
            "'EINVOICE', 'EMAIL', 'PRINT'. Se 'autodispatch settings set --help' för hjälp.",
        ),
        (
            ("invoicez", "--lang", "fi"),
            "error: Komentoa 'invoicez' ei ole. Tarkoititko 'invoices'? Katso ohjeet: 'autodispatch --help'.",
        ),
        (
            ("runs", "start", "--date", "10.3.2026", "--lang", "fi"),
            "error: Virheellinen arvo kohdassa --date: '10.3.2026': on oltava päivämäärä muodossa VVVV-KK-PP "
            "(YYYY-MM-DD). Katso ohjeet: 'autodispatch runs start --help'.",
        ),
    ],
)
def test_r30_a_usage_error_is_one_line_in_the_readers_language(args: tuple[str, ...], line: str) -> None:
    result = cli(*args)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


def test_r30_usage_errors_in_english_name_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    result = cli("--nosuch")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines() == [
        "error: No such option: --nosuch. Try 'autodispatch --help' for help."
    ]
    unknown = cli("--lang", "de", "runs", "list")  # not one of ours: refused in the locale's language
    assert unknown.exit_code == ExitCode.USAGE
    assert unknown.stderr.splitlines() == [
        "error: Invalid value for '--lang': 'de': must be one of 'fi', 'sv', 'en'. "
        "Try 'autodispatch --help' for help."
    ]


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_r19_r30_invoice_history_names_each_entrys_route(load: Any, language: str) -> None:
    owner = f"r30-route-{language}"
    sent = invoice(owner, "route-1", created_at="2026-03-09T10:00:00+02:00")  # an e-invoice, due on the 10th
    assert load([tenant(owner)], [sent]).exit_code == 0
    assert cli("runs", "start", "--date", "2026-03-10", "--wait").exit_code == 0
    shown = readable(cli("invoices", "show", "--tenant", owner, "route-1", "--lang", language))
    assert render(Text.of("cli.column.route"), language) in shown
    sent_row = next(
        line for line in shown.splitlines() if render(Text.of("cli.event.SENT"), language) in line
    )
    # The e-invoice went by one of the e-invoice routes, named as the catalogue names it.
    routes = [render(Text.of(f"route.{route}"), language) for route in ("FINVOICE", "PEPPOL")]
    assert [route for route in routes if route in sent_row] != [], sent_row
