"""A scenario document's JSON text to plain data, within the limits of R25: nesting is measured
before the recursive parser runs, so deep JSON is one clear line, never a RecursionError."""

import json
import re
from collections.abc import Mapping

from autodispatch.errors import FieldIssue, InputError
from autodispatch.models.limits import INVOICES_MAX, JSON_MAX_DEPTH, TENANTS_MAX
from autodispatch.models.text import Text

# A JSON string (skipped whole, so brackets inside text do not count) or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_RECORD_LIMITS = {"tenants": TENANTS_MAX, "invoices": INVOICES_MAX}


def nesting_too_deep(text: str) -> int | None:
    """The line where nesting first exceeds JSON_MAX_DEPTH, or None (measured without parsing)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return text.count("\n", 0, match.start()) + 1
        elif bracket in "]}":
            depth -= 1
    return None


def _issue(message: Text) -> InputError:
    return InputError([FieldIssue.said("(document)", message)])


def parse_scenario_json(text: str, source: str) -> object:
    """The JSON value of a scenario document named `source` in messages, or an InputError."""
    line = nesting_too_deep(text)
    if line is not None:
        raise _issue(Text.of("document.too_deep", source=source, limit=JSON_MAX_DEPTH, line=line))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _issue(
            Text.of("document.not_json", source=source, error=f"{error.msg} (line {error.lineno})")
        ) from None
    except ValueError as error:  # e.g. an integer beyond the interpreter's digit limit
        raise _issue(Text.of("document.not_json", source=source, error=str(error))) from None
    if isinstance(data, Mapping):
        for name, limit in _RECORD_LIMITS.items():
            records = data.get(name)
            if isinstance(records, list) and len(records) > limit:
                said = Text.of("document.too_many", count=len(records), limit=limit)
                raise InputError([FieldIssue.said(name, said)])
    return data
