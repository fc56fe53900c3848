"""Rendering words as data in the reader's language (R19, R30): one gettext catalogue
(`locales/`), Babel's CLDR data for dates, numbers, amounts and lists."""

from autodispatch.i18n.render import format_amount, format_day, render

__all__ = ["format_amount", "format_day", "render"]
