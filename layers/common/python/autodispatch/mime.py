"""Email headers that no text can break into, on every Python we accept: shared by the invoice
channels and the notifications (both hand MIME to `autodispatch.ses`)."""

import re
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32

from autodispatch.errors import PermanentRejection
from autodispatch.models.text import Text

_LINE_BREAK = re.compile("[\r\n\u2028\u2029\x85]")


class UnsafeText(PermanentRejection):
    """Text that the format cannot carry safely (a header, an XML document): the channel refuses
    the invoice."""


def check_header_text(value: str, what: Text) -> str:
    """A line break in a header value would start a new header (header injection)."""
    match = _LINE_BREAK.search(value)
    if match is not None or "\x00" in value:
        raise UnsafeText.said(Text.of("unsafe.header_line_break", what=what))
    return value


def header_text(value: str, what: Text) -> str:
    """A display name, subject or other header value that cannot add a header on any Python.

    Before 3.11.10/3.12.5 the email package decodes an RFC 2047 encoded word found in header text
    and writes what it decodes, line breaks included (CVE-2024-6923); later versions refuse to
    write the header. A word joiner after every "=" of "=?" keeps the text from holding an encoded
    word, so it is written (encoded) exactly as given.
    """
    return check_header_text(value, what).replace("=?", "=\u2060?")


def message_bytes(message: EmailMessage) -> bytes:
    """The message as sent, refused when its header block holds any header it was not given."""
    try:
        raw = message.as_bytes()
    except MessageError as error:  # HeaderWriteError, where the interpreter verifies headers
        raise UnsafeText.said(Text.of("unsafe.header", cause=str(error))) from None
    written = BytesHeaderParser(policy=compat32).parsebytes(raw)
    if sorted(name.lower() for name in written) != sorted(name.lower() for name in message):
        raise UnsafeText.said(Text.of("unsafe.extra_header"))
    return raw
