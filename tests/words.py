"""Tests read stored messages (codes and parameters, R30) as an English reader does."""

from autodispatch.i18n import render
from autodispatch.models.text import Text


def en(text: Text | None) -> str | None:
    return None if text is None else render(text, "en")
