"""HTTP API (payload format 2.0) events as API Gateway builds them after its JWT authorizer, so the
local API and the tests call the API function with what it receives when deployed."""

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

LOCAL_API_ID = "local"


def http_api_event(
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    scopes: Sequence[str] | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """`path` decoded, as the HTTP API passes it (rawPath too); `claims` None when no token was
    verified; `body` base64 with `base64_encoded` for bytes that are not text. API Gateway hands
    claims on as strings, and a repeated query parameter joined by commas."""
    now = time.time()
    context: dict[str, Any] = {
        "accountId": "000000000000",
        "apiId": LOCAL_API_ID,
        "domainName": "127.0.0.1",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": (headers or {}).get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        context["authorizer"] = {
            "jwt": {
                "claims": {
                    name: value if isinstance(value, str) else str(value) for name, value in claims.items()
                },
                "scopes": list(scopes) if scopes else None,
            }
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {name.lower(): value for name, value in (headers or {}).items()},
        "requestContext": context,
        "isBase64Encoded": base64_encoded,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = body
    return event
