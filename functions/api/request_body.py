"""The request body as API Gateway hands it on, checked before any route reads it (R25, R27): a
body the routes could not take as the client meant it is a 4xx naming what is wrong, never a
server error and never stored altered."""

import base64
import binascii
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from autodispatch.errors import FieldIssue, shown
from autodispatch.i18n.negotiate import OFFERED, from_accept_language
from autodispatch.models.document import nesting_too_deep
from autodispatch.models.enums import Language
from autodispatch.models.limits import JSON_MAX_DEPTH
from autodispatch.models.text import Text

JSON_MEDIA_TYPE = "application/json"
BODY = "body"


@dataclass(frozen=True)
class BodyRefused(Exception):
    status: HTTPStatus
    issue: FieldIssue


def asked_language(event: dict[str, Any]) -> Language:
    """R30: the reader's language of a request: its `lang` query parameter, else the best of its
    Accept-Language header (q-values weighed), else English. Every answer, errors included."""
    asked = (event.get("queryStringParameters") or {}).get("lang")
    if asked in OFFERED:
        return Language(asked)
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    return from_accept_language(headers.get("accept-language"))


def admitted(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its body as JSON text, or BodyRefused: 415 for a body that is not JSON by its
    Content-Type, 400 for bytes that are not UTF-8 and for JSON nested deeper than JSON_MAX_DEPTH
    (the parser would run out of stack) or with a number beyond the parser's digit limit, and 422
    naming the body for JSON that does not parse."""
    body = event.get("body")
    if not body:
        return event
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    media_type, *parameters = (part.strip().lower() for part in headers.get("content-type", "").split(";"))
    charset = next((p.partition("=")[2].strip('"') for p in parameters if p.startswith("charset=")), "utf-8")
    if media_type != JSON_MEDIA_TYPE or charset != "utf-8":
        given = headers.get("content-type")
        refusal = (
            Text.of("request.media_type", expected=JSON_MEDIA_TYPE, given=shown(given, quoted=False))
            if given
            else Text.of("request.no_media_type", expected=JSON_MEDIA_TYPE)
        )
        raise BodyRefused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, FieldIssue.said("Content-Type", refusal))
    text = body
    if event.get("isBase64Encoded"):  # API Gateway's way of passing bytes it does not take as text
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BodyRefused(
                HTTPStatus.BAD_REQUEST, FieldIssue.said(BODY, Text.of("request.not_utf8"))
            ) from None
    line = nesting_too_deep(text)
    if line is not None:
        raise BodyRefused(
            HTTPStatus.BAD_REQUEST,
            FieldIssue.said(BODY, Text.of("request.too_deep", limit=JSON_MAX_DEPTH, line=line)),
        )
    try:
        json.loads(text)
    except json.JSONDecodeError:
        raise BodyRefused(
            HTTPStatus.UNPROCESSABLE_ENTITY, FieldIssue.said(BODY, Text.of("invalid.json"))
        ) from None
    except ValueError:  # an integer beyond the interpreter's digit limit
        raise BodyRefused(
            HTTPStatus.BAD_REQUEST, FieldIssue.said(BODY, Text.of("request.number_too_long"))
        ) from None
    # Media types are case-insensitive; the routes' validation reads only the lower-case spelling.
    headers["content-type"] = JSON_MEDIA_TYPE
    return {**event, "headers": headers, "body": text, "isBase64Encoded": False}
