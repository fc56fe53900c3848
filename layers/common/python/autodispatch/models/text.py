"""Words as data (R19, R30): what happened is stored as a message code with its parameters and
rendered when read, in the reader's language (`autodispatch.i18n`). Never a rendered sentence.

A parameter is the reader-independent fact itself: a text from outside (an operator's rejection,
an email address, an error type) is a plain string and shown as it is; an integer is formatted
for the reader; anything to translate (a channel, an address part, a nested reason) is a `Text`;
a tuple of `Text` reads as a list ("a, b and c"), in the reader's language too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from autodispatch.models.enums import Channel

# The code of a text stored before messages were data (plain English): shown as it is.
VERBATIM = "verbatim"
# Codes the renderer composes itself rather than looking up one catalogue entry.
LINES = "lines"  # params["items"]: one line each
SENTENCE = "sentence"  # params["text"]: its first letter in upper case
DATE = "date"  # params["value"]: an ISO date, formatted for the reader
LIST = "list"  # params["items"]: "a, b and c" in the reader's language
SEPARATED = "separated"  # params["items"] joined by params["separator"] ("; " between issues)


class Text(BaseModel):
    """A message code and its parameters; `autodispatch.i18n.render` turns it into words."""

    model_config = ConfigDict(frozen=True)

    code: str
    params: dict[str, Param] = {}

    def __hash__(self) -> int:
        # Frozen, but its params are a dict: hash what it says.
        return hash(self.model_dump_json())

    @classmethod
    def of(cls, code: str, **params: Param) -> Text:
        return cls(code=code, params=params)


Param = str | int | Text | tuple[Text, ...]
Text.model_rebuild()


def verbatim(text: str) -> Text:
    return Text(code=VERBATIM, params={"text": text})


def lines(*items: Text) -> Text:
    return Text(code=LINES, params={"items": items})


def separated(*items: Text, separator: str = "; ") -> Text:
    return Text(code=SEPARATED, params={"items": items, "separator": separator})


def listed(items: tuple[Text, ...]) -> Text:
    """One item as itself, more as a list ("a, b and c")."""
    return items[0] if len(items) == 1 else Text(code=LIST, params={"items": items})


def sentence(text: Text) -> Text:
    return Text(code=SENTENCE, params={"text": text})


def on_date(value: date) -> Text:
    return Text(code=DATE, params={"value": value.isoformat()})


def channel_label(channel: Channel) -> Text:
    """The channel as the settings name it (the glossary's label)."""
    return Text(code=f"channel.{channel.value}")


def by_channel(channel: Channel) -> Text:
    """`by email`: the channel in a sentence that says how something went."""
    return Text(code=f"by.{channel.value}")


def channel_name(channel: Channel) -> Text:
    """The channel's short name in running text (`email`)."""
    return Text(code=f"name.{channel.value}")


def _stored(value: Any) -> Any:
    """A plain string is a text stored before messages were data: it reads as it was written."""
    return verbatim(value) if isinstance(value, str) else value


# A field that may hold a text stored as a plain English sentence by an earlier version.
StoredText = Annotated[Text, BeforeValidator(_stored)]
