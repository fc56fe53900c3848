"""R30: the CLI's language is decided before click builds any help; every help text of the command
tree is a catalogue code (so the catalogue tests hold it to fi, sv and en) or one of typer's own
words, which the `typer` domain translates with every word typer looks up; a failed run's error
reads in the reader's words."""

import ast
import gettext
import json
import re
from pathlib import Path

import pytest
import typer
import typer.main
from babel.messages.pofile import read_po
from typer import rich_utils

from autodispatch.i18n import render
from autodispatch.i18n.catalogue import MESSAGES
from autodispatch.models.enums import Language
from autodispatch.models.text import Text
from autodispatch_cli.commands.runs import run_failure
from autodispatch_cli.main import app
from autodispatch_cli.speaking import (
    RICH_WORDS,
    TYPER_DOMAIN,
    TYPER_LOCALES,
    requested_language,
    speak,
    speaking,
)

TYPER_SOURCES = [Path(typer.__file__).parent / name for name in ("core.py", "rich_utils.py")]
BRACES = re.compile(r"\{[^}]*\}")


@pytest.mark.parametrize(
    ("args", "environ", "language"),
    [
        (["--lang", "sv", "invoices", "list"], {"LANG": "fi_FI.UTF-8"}, Language.SV),
        (["invoices", "list", "--lang=fi"], {}, Language.FI),
        (["invoices", "list", "--lang", "fi", "--lang", "sv"], {}, Language.SV),  # the last, as click
        (["runs", "list"], {"LC_ALL": "sv_FI.UTF-8", "LC_MESSAGES": "fi_FI", "LANG": "en_US"}, Language.SV),
        (["runs", "list"], {"LC_MESSAGES": "fi_FI.UTF-8", "LANG": "sv_FI.UTF-8"}, Language.FI),
        (["runs", "list"], {"LANG": "sv_SE.UTF-8"}, Language.SV),
        (["--lang", "de"], {"LANG": "fi_FI.UTF-8"}, Language.FI),  # click refuses it, in Finnish
        (["--", "--lang", "sv"], {}, Language.EN),
        (["--lang"], {"LANG": "C.UTF-8"}, Language.EN),
        ([], {}, Language.EN),
    ],
)
def test_r30_the_language_is_lang_anywhere_then_the_locale_then_english(
    args: list[str], environ: dict[str, str], language: Language
) -> None:
    assert requested_language(args, environ) is language


def _helps(command: typer.core.TyperGroup) -> list[str]:
    """Every help text, short help and epilog in the click tree typer builds for the CLI."""
    found = [command.help, command.short_help, command.epilog]
    found += [getattr(param, "help", None) for param in command.params]
    for child in getattr(command, "commands", {}).values():
        found += _helps(child)
    return [text for text in found if text]


def _typer_po(language: str) -> dict[str, str]:
    with (TYPER_LOCALES / language / "LC_MESSAGES" / f"{TYPER_DOMAIN}.po").open("rb") as po:
        return {message.id: message.string for message in read_po(po) if message.id}


def test_r30_every_help_text_is_a_catalogue_code_or_a_word_of_typers_own_domain() -> None:
    helps = _helps(typer.main.get_command(app))
    codes = [text for text in helps if text in MESSAGES]
    assert len(codes) > 40  # commands, options, arguments and the epilog
    typers_own = [text for text in helps if text not in MESSAGES]
    for language in ("fi", "sv"):
        translated = _typer_po(language)
        assert [text for text in typers_own if not translated.get(text)] == [], language
    # No English sentence of ours in the tree: a new option without a code fails here.
    assert all(code.startswith("cli.help.") for code in codes), codes


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_r30_every_help_code_reads_in_the_language_not_in_english(language: str) -> None:
    codes = sorted(code for code in MESSAGES if code.startswith("cli.help."))
    same = [code for code in codes if render(Text.of(code), language) == render(Text.of(code), "en")]
    assert same == []


def _looked_up_by_typer() -> set[str]:
    """Every literal typer passes to gettext's `_` (what `make catalogue` extracts)."""
    words = set()
    for source in TYPER_SOURCES:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
                argument = node.args[0]
                assert isinstance(argument, ast.Constant), ast.unparse(node)
                words.add(argument.value)
    return words


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_r30_the_typer_domain_translates_every_word_typer_looks_up(language: str) -> None:
    translated = _typer_po(language)
    looked_up = _looked_up_by_typer()
    assert len(looked_up) > 15
    assert [words for words in sorted(looked_up) if not translated.get(words)] == []
    assert set(RICH_WORDS.values()) <= looked_up  # the constants rich_utils reads at import
    for words, translation in translated.items():
        assert sorted(BRACES.findall(translation)) == sorted(BRACES.findall(words)), words
    with (TYPER_LOCALES / language / "LC_MESSAGES" / f"{TYPER_DOMAIN}.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert {words: compiled.gettext(words) for words in translated} == translated  # the .mo is fresh


def test_r30_speaking_installs_the_language_and_puts_everything_back() -> None:
    before = (gettext.textdomain(), rich_utils.OPTIONS_PANEL_TITLE, speak("Options"))
    with speaking(Language.SV):
        assert (speak("Options"), rich_utils.OPTIONS_PANEL_TITLE) == ("Alternativ", "Alternativ")
        with speaking(Language.EN):
            assert speak("Options") == "Options"
        assert speak("Usage: ") == "Användning: "
    with speaking(Language.FI):
        assert rich_utils.REQUIRED_LONG_STRING == "[pakollinen]"
    assert (gettext.textdomain(), rich_utils.OPTIONS_PANEL_TITLE, speak("Options")) == before


def _lambda_cause(error_type: str, message: str) -> str:
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": ["  File ..."]})


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "Körningen misslyckades: ett tillfälligt fel varade genom alla nya försök i ett steg"),
        ("fi", "Ajo epäonnistui: tilapäinen virhe jatkui vaiheen kaikkien uusintayritysten ajan"),
        ("en", "The run failed: a temporary failure lasted through every retry of a step"),
    ],
)
def test_r30_a_run_failed_by_an_error_of_ours_reads_in_the_catalogues_words(
    language: str, expected: str
) -> None:
    cause = _lambda_cause("TransientError", "notifications of 2 tenant(s) not sent yet; left for a retry")
    assert render(run_failure("TransientError", cause), language) == expected


def test_r30_a_run_failed_by_aws_quotes_aws_framed_in_the_readers_words() -> None:
    killed = "RequestId: 42 Error: Runtime exited with error: signal: killed"
    cause = _lambda_cause("Runtime.ExitError", killed)
    assert (
        render(run_failure("Lambda.Unknown", cause), "sv")
        == f"Körningen misslyckades: Lambda.Unknown: {killed}"
    )
    assert render(run_failure("States.Timeout", None), "fi") == "Ajo epäonnistui: States.Timeout"
    plain = "The execution was stopped by a user."
    assert render(run_failure("States.Aborted", plain), "en") == f"The run failed: States.Aborted: {plain}"
