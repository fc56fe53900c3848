"""Text checks and fitting shared by the renderers.

Import already rejects control characters (R25); these checks are the last line of defence for
data that reached a run some other way, so a document is never built from text it cannot carry.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from autodispatch.errors import shown
from autodispatch.mime import UnsafeText
from autodispatch.models.text import Text

# XML 1.0 Char production: everything else cannot appear in a document, escaped or not.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_xml_text(value: str, what: str) -> str:
    match = _NOT_XML_CHAR.search(value)
    if match is not None:
        raise UnsafeText.said(
            Text.of("unsafe.xml_character", element=what, codepoint=f"{ord(match.group()):04X}")
        )
    return value


def split_text(value: str, max_length: int, min_length: int = 1) -> list[str]:
    """Split at spaces into pieces of at most `max_length` (long words are cut), each at least
    `min_length` long, for schemas that repeat an element instead of allowing long text."""
    text = " ".join(value.split())
    if len(text) < min_length:
        raise UnsafeText.said(Text.of("unsafe.text_too_short", text=shown(text), low=min_length))
    pieces: list[str] = []
    while len(text) > max_length:
        cut = text.rfind(" ", min_length, max_length + 1)
        cut = cut if cut > 0 else max_length
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    if len(pieces) > 1 and len(pieces[-1]) < min_length:
        # Move the start of the previous piece's tail over so the last piece is long enough.
        previous, last = pieces[-2], pieces[-1]
        need = min_length - len(last)
        pieces[-2:] = [previous[:-need].rstrip(), previous[-need:] + last]
    return pieces


def shorten(value: str, max_length: int) -> str:
    text = " ".join(value.split())
    if len(text) <= max_length:
        return text
    return text[: max_length - 1].rstrip() + "…"


def money(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
