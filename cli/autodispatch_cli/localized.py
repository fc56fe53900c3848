"""The command tree in the reader's language: help texts are catalogue codes, rendered when an
invocation has decided its language (R30), and a usage error is one line in that language.

Every Typer of the CLI is a `Typer` from here: its groups and commands are the classes below.
The root group decides the language from the command line before click parses it
(`speaking.requested_language`), renders every help text of the tree it was built as (typer
builds the click tree anew for each invocation, so nothing is copied per language), and turns
click's usage errors into one line and exit status 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from typer import core
from typer._click import Command, Context, HelpFormatter
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.models import CommandFunctionType

from autodispatch.i18n import render
from autodispatch.i18n.catalogue import MESSAGES
from autodispatch.models.enums import Language
from autodispatch.models.invalid import problem
from autodispatch.models.text import Text
from autodispatch_cli.exit_codes import ExitCode
from autodispatch_cli.output import print_error
from autodispatch_cli.speaking import N_, requested_language, speak, speaking

HELP_OPTION_WORDS = N_("Show this message and exit.")
# The help of typer's completion options, as typer writes it (a literal): translated by `help_words`.
COMPLETION_HELP = (
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)
EXTRA_ARGUMENTS = "Got unexpected extra argument(s) "


def help_words(text: str, language: Language) -> str:
    """A help text of the tree: ours is a catalogue code, typer's own (the completion options) its
    English, looked up in the `typer` domain."""
    return render(Text.of(text), language) if text in MESSAGES else speak(text)


def render_help(command: Command, language: Language) -> None:
    """Every help text, short help and epilog of `command` and below it, in `language`."""
    for name in ("help", "short_help", "epilog"):
        text = getattr(command, name)
        if text:
            setattr(command, name, help_words(text, language))
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            param.help = help_words(text, language)  # type: ignore[attr-defined]
    for child in getattr(command, "commands", {}).values():
        render_help(child, language)


class _Speaks:
    """Click's literal words of help ("Usage:", the --help option's own help) in the reader's."""

    def format_usage(self: Any, ctx: Context, formatter: HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=speak(N_("Usage: ")))

    def get_help_option(self: Any, ctx: Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = speak(HELP_OPTION_WORDS)
        return option


class LocalizedCommand(_Speaks, core.TyperCommand):
    """A command whose help speaks the reader's language."""


class LocalizedGroup(_Speaks, core.TyperGroup):
    """A group whose help speaks the reader's language; as the root, it decides that language."""

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """Typer's suggestion of a close command name, in the reader's words."""
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as error:
            matches = get_close_matches(args[0], list(self.commands)) if args else []
            if matches:
                suggestions = ", ".join(repr(match) for match in matches)
                did_you_mean = speak(N_("Did you mean {suggestions}?")).format(suggestions=suggestions)
                error.message = f"{error.message.rstrip('.')}. {did_you_mean}"
            raise

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        language = requested_language(arguments, os.environ)
        with speaking(language):
            render_help(self, language)
            try:
                status = super().main(arguments, prog_name, complete_var, standalone_mode=False, **extra)
            except typer.Abort:
                if not standalone_mode:
                    raise
                sys.exit(ExitCode.INTERRUPTED)
            except UsageError as error:
                if not standalone_mode:
                    raise
                _usage_failed(error, language)
            except ClickException as error:  # click's other refusals (a file it cannot open)
                if not standalone_mode:
                    raise
                print_error(error.format_message())
                sys.exit(error.exit_code)
        if not standalone_mode:
            return status
        sys.exit(status if isinstance(status, int) else ExitCode.OK)


class Typer(typer.Typer):
    """typer.Typer whose groups and commands speak the reader's language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=LocalizedGroup, **kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=LocalizedCommand, **kwargs)


def _usage_failed(error: UsageError, language: Language) -> NoReturn:
    """A usage error: one line in the reader's language and exit status 2; nothing at all after
    the help a bare group prints (no_args_is_help)."""
    if not isinstance(error, NoArgsIsHelpError):
        line = usage_error_line(error, language)
        if error.ctx is not None:
            hint = speak(N_("Try '{command} {option}' for help.")).format(
                command=error.ctx.command_path, option="--help"
            )
            line = f"{line} {hint}" if line.endswith(("?", "!")) else f"{line}. {hint}"
        print_error(line)
    sys.exit(error.exit_code)


def usage_error_line(error: UsageError, language: Language) -> str:
    """What click found wrong with the command line, in `language`, without a final stop."""
    if isinstance(error, NoSuchOption):
        line = speak(N_("No such option: {name}")).format(name=error.option_name)
        if error.possibilities:
            options = ", ".join(sorted(error.possibilities))
            line += " " + speak(N_("(Possible options: {options})")).format(options=options)
        return line
    if isinstance(error, MissingParameter):
        hint = error.param.get_error_hint() if error.param is not None else ""
        if error.param is not None and error.param.param_type_name == "argument":
            return speak(N_("Missing argument {hint}")).format(hint=hint)
        return speak(N_("Missing option {hint}")).format(hint=hint)
    if isinstance(error, BadParameter):
        message = _bad_value(error, language)
        given = error.param_hint or (error.param.get_error_hint() if error.param is not None else None)
        if given is None:
            return speak(N_("Invalid value: {message}")).format(message=message)
        hint = given if isinstance(given, str) else " / ".join(repr(part) for part in given)
        return speak(N_("Invalid value for {hint}: {message}")).format(hint=hint, message=message)
    if isinstance(error, BadOptionUsage):
        # click's parser raises both without a context; its own two sentences tell them apart.
        if error.message == f"Option {error.option_name!r} does not take a value.":
            return speak(N_("Option '{name}' does not take a value")).format(name=error.option_name)
        return speak(N_("Option '{name}' requires an argument")).format(name=error.option_name)
    message = error.format_message().rstrip(".")
    if message.startswith(EXTRA_ARGUMENTS):
        extra = message.removeprefix(EXTRA_ARGUMENTS)
        return speak(N_("Got unexpected extra argument(s) {arguments}")).format(arguments=extra)
    return message  # typer's own words (no such command, missing command), already in the language


def _bad_value(error: BadParameter, language: Language) -> str:
    """Why the value is refused: the value given and typer's check (pydantic) in our catalogue's
    words, a choice as the values the option takes; our own refusal as it is (already in the
    reader's language)."""
    cause = error.__cause__
    if isinstance(cause, ValidationError):
        detail = cause.errors(include_url=False)[0]
        choices = _choices(error.param)
        if detail.get("type") == "value_error" and choices:
            text = Text.of("invalid.one_of", expected=", ".join(f"'{choice}'" for choice in choices))
        else:
            text = problem(detail)
        return f"'{detail.get('input')}': {render(text, language).rstrip('.')}"
    return error.message.rstrip(".")


def _choices(param: Any) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not descriptor.is_choice or descriptor.choices is None:
        return []
    return [str(getattr(choice, "value", choice)) for choice in descriptor.choices]
