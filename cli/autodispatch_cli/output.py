"""Human-readable output (rich) and the one-line error convention of the CLI."""

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from autodispatch.errors import AutodispatchError, InputError, error_line
from autodispatch.i18n import render
from autodispatch.models.enums import Language
from autodispatch.models.invalid import problems
from autodispatch.models.text import Text
from autodispatch_cli.exit_codes import ExitCode

console = Console()
error_console = Console(stderr=True)

STATE_STYLES = {"SENT": "green", "FAILED": "red", "IGNORED": "yellow", "REMOVED": "dim", "PENDING": "cyan"}


def print_error(message: str) -> None:
    """Every error the CLI prints: one safe line (control characters and terminal escapes written
    out, a huge value shortened; errors.error_line), never read as rich markup."""
    error_console.print(f"[bold red]error:[/] {escape(error_line(message))}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = ExitCode.FAILED) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def reader_language(ctx: typer.Context | None) -> Language:
    """The language the command was asked to speak (--lang, kept on the root context), else English."""
    language = getattr(ctx.find_root().obj, "language", None) if ctx is not None else None
    return language if isinstance(language, Language) else Language.EN


@contextmanager
def user_errors(language: Language = Language.EN) -> Iterator[None]:
    """Known errors become one clear line and a non-zero exit; never a traceback."""
    try:
        yield
    except InputError as error:
        for issue in error.issues:
            print_error(render(issue.located(), language))
        raise typer.Exit(ExitCode.USAGE) from None
    except AutodispatchError as error:
        fail(render(error.text, language) if error.text is not None else str(error))
    except ValidationError as error:
        location, problem = problems(error)[0]
        field = ".".join(str(part) for part in location) or "(input)"
        fail(render(Text.of("invalid.field", field=field, problem=problem), language), ExitCode.USAGE)
    except (typer.Exit, typer.Abort, TyperException):
        raise
    except Exception as error:
        # A bug or an unforeseen failure still reaches the user as one line; the traceback is
        # there on request.
        if os.environ.get("AUTODISPATCH_DEBUG"):
            raise
        fail(render(Text.of("cli.unexpected", kind=type(error).__name__, error=str(error)), language))


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def table(
    title: str, columns: list[str], rows: list[list[str]], styler: Callable[[list[str]], str] | None = None
) -> Table:
    result = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*row, style=styler(row) if styler else None)
    return result


def state_style(state: str) -> str:
    return STATE_STYLES.get(state, "")
