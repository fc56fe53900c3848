"""What is wrong with a field, as words as data (R25, R30): pydantic's error of each field becomes
one of our catalogue messages, rendered in the reader's language, never pydantic's English.

A validator of ours refuses with `Invalid(Text)`; pydantic's own checks (a missing field, a wrong
type, a value outside its enum or bounds) map by their error type. An error type we have not
mapped reads as "is not a valid value", never as pydantic's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from autodispatch.models.text import Text, verbatim

_QUOTED = re.compile(r"'([^']*)'")


class Invalid(ValueError):
    """A validator's refusal: `text` is the problem as data; `str()` is its English (the words
    pydantic puts in its own message, and so the scenario format's error lines)."""

    def __init__(self, text: Text) -> None:
        from autodispatch.i18n.render import render  # noqa: PLC0415 - the catalogue loads on first use

        self.text = text
        super().__init__(render(text, "en"))


def _limit(code: str, key: str) -> Callable[[Mapping[str, Any]], Text]:
    return lambda context: Text.of(code, limit=str(context.get(key, "")))


def _length(code: str, key: str) -> Callable[[Mapping[str, Any]], Text]:
    return lambda context: Text.of(code, limit=int(context.get(key, 0)))


def _one_of(context: Mapping[str, Any]) -> Text:
    """pydantic's "'fi', 'sv' or 'en'" as the values themselves, without its English "or"."""
    values = _QUOTED.findall(str(context.get("expected", "")))
    return Text.of("invalid.one_of", expected=", ".join(f"'{value}'" for value in values))


def _constant(code: str) -> Callable[[Mapping[str, Any]], Text]:
    return lambda _: Text.of(code)


_BY_TYPE: dict[str, Callable[[Mapping[str, Any]], Text]] = {
    "missing": _constant("invalid.missing"),
    "extra_forbidden": _constant("invalid.unknown_field"),
    "string_type": _constant("invalid.text"),
    "string_unicode": _constant("invalid.text"),
    "int_type": _constant("invalid.whole_number"),
    "int_parsing": _constant("invalid.whole_number"),
    "int_from_float": _constant("invalid.whole_number"),
    "float_type": _constant("invalid.number"),
    "float_parsing": _constant("invalid.number"),
    "decimal_type": _constant("invalid.number"),
    "decimal_parsing": _constant("invalid.number"),
    "bool_type": _constant("invalid.boolean"),
    "bool_parsing": _constant("invalid.boolean"),
    "date_type": _constant("invalid.date"),
    "date_parsing": _constant("invalid.date"),
    "date_from_datetime_parsing": _constant("invalid.date"),
    "date_from_datetime_inexact": _constant("invalid.date"),
    "datetime_type": _constant("invalid.datetime"),
    "datetime_parsing": _constant("invalid.datetime"),
    "datetime_from_date_parsing": _constant("invalid.datetime"),
    "timezone_aware": _constant("invalid.datetime"),
    "enum": _one_of,
    "literal_error": _one_of,
    "list_type": _constant("invalid.list"),
    "dict_type": _constant("invalid.object"),
    "model_type": _constant("invalid.object"),
    "model_attributes_type": _constant("invalid.object"),
    "json_invalid": _constant("invalid.json"),
    "json_type": _constant("invalid.json"),
    "string_too_short": _length("invalid.text_too_short", "min_length"),
    "string_too_long": _length("invalid.text_too_long", "max_length"),
    "too_short": _length("invalid.too_few", "min_length"),
    "too_long": _length("invalid.too_many", "max_length"),
    "greater_than": _limit("invalid.greater_than", "gt"),
    "greater_than_equal": _limit("invalid.at_least", "ge"),
    "less_than": _limit("invalid.less_than", "lt"),
    "less_than_equal": _limit("invalid.at_most", "le"),
    "string_pattern_mismatch": _constant("invalid.pattern"),
}


def problem(detail: Mapping[str, Any]) -> Text:
    """One pydantic error (an item of `ValidationError.errors()`) as our message."""
    context: Mapping[str, Any] = detail.get("ctx") or {}
    error = context.get("error")
    if isinstance(error, Invalid):
        return error.text
    kind = str(detail.get("type", ""))
    if kind == "value_error" and isinstance(error, str | ValueError) and str(error):
        # A refusal of ours raised as a plain ValueError: its English, shown as it is (rare, and
        # caught by the test that renders every validator's refusal in fi and sv).
        return verbatim(str(error))
    mapped = _BY_TYPE.get(kind)
    return mapped(context) if mapped is not None else Text.of("invalid.value")


def problems(error: ValidationError) -> list[tuple[tuple[int | str, ...], Text]]:
    """Each field's location and problem."""
    return [(tuple(detail["loc"]), problem(detail)) for detail in error.errors(include_url=False)]
