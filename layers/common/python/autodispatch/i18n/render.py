"""Render a stored `Text` in one language: pure, from the compiled catalogue (R30).

A code without a catalogue entry, or a language without a compiled catalogue, is an error, never
a fallback to English: the catalogue tests find every such gap before a user does.
"""

import gettext
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from autodispatch.i18n.catalogue import MESSAGES
from autodispatch.models import text as codes
from autodispatch.models.enums import Language
from autodispatch.models.text import Param, Text

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "autodispatch"
# The CLDR locale of each language: our readers are in Finland (dates, numbers, currency).
CLDR_LOCALES = {Language.FI: "fi_FI", Language.SV: "sv_FI", Language.EN: "en_FI"}


@cache
def translations(language: Language) -> gettext.GNUTranslations:
    with (LOCALES / language.value / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as catalogue:
        return gettext.GNUTranslations(catalogue)


def render(text: Text, language: Language | str) -> str:
    """The text's words in `language` (fi, sv or en)."""
    return _Renderer(Language(language)).text(text)


def format_day(day: date, language: Language | str) -> str:
    return format_date(day, format="medium", locale=CLDR_LOCALES[Language(language)])


def format_amount(amount: Decimal, currency: str, language: Language | str) -> str:
    return format_currency(amount, currency, locale=CLDR_LOCALES[Language(language)])


class _Renderer:
    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = CLDR_LOCALES[language]
        self.catalogue = translations(language)

    def text(self, text: Text) -> str:
        params = text.params
        match text.code:
            case codes.VERBATIM if isinstance(params.get("text"), str):
                return str(params["text"])
            case codes.LINES:
                return "\n".join(self.param(item) for item in _items(params.get("items", ())))
            case codes.SEPARATED:
                items = _items(params.get("items", ()))
                return str(params.get("separator", "; ")).join(self.param(item) for item in items)
            case codes.LIST:
                return self.param(_items(params.get("items", ())))
            case codes.SENTENCE:
                words = self.param(params["text"])
                return words[:1].upper() + words[1:]
            case codes.DATE:
                return format_day(date.fromisoformat(str(params["value"])), self.language)
        words = self.catalogue.gettext(MESSAGES[text.code])
        if not params:
            return words
        return words % {name: self.param(value) for name, value in params.items()}

    def param(self, value: Param) -> str:
        if isinstance(value, Text):
            return self.text(value)
        if isinstance(value, tuple):
            return format_list([self.param(item) for item in value], locale=self.locale)
        if isinstance(value, int):
            return format_decimal(value, locale=self.locale)
        return value


def _items(value: Param) -> tuple[Text, ...]:
    return value if isinstance(value, tuple) else (value,) if isinstance(value, Text) else ()
