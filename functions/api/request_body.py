"""The request body as API Gateway hands it on, checked before any route reads it (R25, R27): a
body the routes could not take as the client meant it is a 4xx naming what is wrong, never a
server error and never stored altered."""

import base64
import binascii
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from autodispatch.errors import FieldIssue
from autodispatch.models.document import nesting_too_deep
from autodispatch.models.limits import JSON_MAX_DEPTH

JSON_MEDIA_TYPE = "application/json"
BODY = "body"


@dataclass(frozen=True)
class BodyRefused(Exception):
    status: HTTPStatus
    issue: FieldIssue


def admitted(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its body as JSON text, or BodyRefused: 415 for a body that is not JSON by its
    Content-Type, 400 for bytes that are not UTF-8 and for JSON nested deeper than JSON_MAX_DEPTH
    (the parser would run out of stack) or with a number beyond the parser's digit limit. JSON
    syntax errors are left to the routes' validation (422)."""
    body = event.get("body")
    if not body:
        return event
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    media_type, *parameters = (part.strip().lower() for part in headers.get("content-type", "").split(";"))
    charset = next((p.partition("=")[2].strip('"') for p in parameters if p.startswith("charset=")), "utf-8")
    if media_type != JSON_MEDIA_TYPE or charset != "utf-8":
        raise BodyRefused(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            FieldIssue(
                "Content-Type",
                f"the body must be UTF-8 JSON sent as {JSON_MEDIA_TYPE}, "
                f"not '{headers.get('content-type') or 'none'}'",
            ),
        )
    text = body
    if event.get("isBase64Encoded"):  # API Gateway's way of passing bytes it does not take as text
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BodyRefused(HTTPStatus.BAD_REQUEST, FieldIssue(BODY, "is not valid UTF-8")) from None
    line = nesting_too_deep(text)
    if line is not None:
        raise BodyRefused(
            HTTPStatus.BAD_REQUEST,
            FieldIssue(BODY, f"nests deeper than {JSON_MAX_DEPTH} levels (line {line})"),
        )
    try:
        json.loads(text)
    except json.JSONDecodeError:
        pass  # the routes' validation names the syntax error (422)
    except ValueError as error:  # e.g. an integer beyond the interpreter's digit limit
        raise BodyRefused(HTTPStatus.BAD_REQUEST, FieldIssue(BODY, f"is not valid JSON: {error}")) from None
    # Media types are case-insensitive; the routes' validation reads only the lower-case spelling.
    headers["content-type"] = JSON_MEDIA_TYPE
    return {**event, "headers": headers, "body": text, "isBase64Encoded": False}
