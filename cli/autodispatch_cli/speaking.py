"""The reader's language of one invocation, decided before click builds any help or error (R30),
and typer's and click's own words in it.

Typer looks its words up with the standard library's `gettext.gettext` ("Options", "[required]",
"No such command ..."); the click it vendors writes its words as literals ("Usage:", "No such
option: ..."), which `speak` below translates through the same domain. That domain, `typer`, is
a small catalogue of exactly those words in fi and sv (`locales/`, `make catalogue`); English is
their own text.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from autodispatch.i18n.negotiate import from_posix_locale
from autodispatch.models.enums import Language

LANG_OPTION = "--lang"
TYPER_DOMAIN = "typer"
TYPER_LOCALES = Path(__file__).resolve().parent / "locales"
# The environment variables a POSIX program reads its language from, strongest first.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def N_(message: str) -> str:
    """Marks one of click's or typer's literal words for `pybabel extract` (the `typer` domain)."""
    return message


def requested_language(args: Sequence[str], environ: Mapping[str, str]) -> Language:
    """`--lang X` or `--lang=X` anywhere on the command line (the last one given wins, as click
    reads it), else the POSIX locale (LC_ALL, LC_MESSAGES, LANG), else English. A value that is not
    one of ours is left to click to refuse, in the language the environment gives."""
    chosen: str | None = None
    for position, arg in enumerate(args):
        if arg == "--":
            break
        if arg == LANG_OPTION and position + 1 < len(args):
            chosen = args[position + 1]
        elif arg.startswith(f"{LANG_OPTION}="):
            chosen = arg.partition("=")[2]
    if chosen in {language.value for language in Language}:
        return Language(chosen)
    return from_posix_locale(next((environ[name] for name in LOCALE_VARIABLES if environ.get(name)), None))


def speak(words: str) -> str:
    """Typer's or click's words in the language installed by `speaking`."""
    return gettext.gettext(words)


# typer.rich_utils reads these once, when it is imported; they are read again for each invocation.
RICH_WORDS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


@contextmanager
def speaking(language: Language) -> Iterator[None]:
    """Typer's and click's words in `language` while the block runs: gettext's domain is ours and
    its language the one chosen (LANGUAGE outranks the locale variables); put back afterwards."""
    from typer import rich_utils  # noqa: PLC0415 - typer imports it lazily too

    saved_domain = gettext.textdomain()
    saved_language = os.environ.get("LANGUAGE")
    saved_rich = {name: getattr(rich_utils, name) for name in RICH_WORDS}
    gettext.bindtextdomain(TYPER_DOMAIN, str(TYPER_LOCALES))
    gettext.textdomain(TYPER_DOMAIN)
    os.environ["LANGUAGE"] = language.value
    try:
        for name, words in RICH_WORDS.items():
            setattr(rich_utils, name, speak(words))
        yield
    finally:
        for name, words in saved_rich.items():
            setattr(rich_utils, name, words)
        gettext.textdomain(saved_domain)
        if saved_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved_language
