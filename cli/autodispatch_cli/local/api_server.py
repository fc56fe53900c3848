"""The integration API of `local serve` (R27): a user pool in the embedded Cognito, an HTTP server
on 127.0.0.1 that verifies bearer tokens as the HTTP API's JWT authorizer does, and the API
function's own handler answering the events API Gateway would build.

moto's Cognito signs RS256 tokens with the key it ships (kid `dummy`) and serves ID tokens with the
users' custom attributes for USER_PASSWORD_AUTH. It has no client-credentials endpoint, so the local
system client's access token is signed here with that same key and carries what Cognito's would
(`client_id`, `scope`, `token_use` access).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from moto.utilities.utils import load_resource

from autodispatch.errors import AutodispatchError
from autodispatch.rules.access import SYSTEM_SCOPE, TENANT_CLAIM
from autodispatch_cli.local.api_gateway import http_api_event
from autodispatch_cli.local.http_thread import serving_http
from autodispatch_cli.target import OUTPUT_SYSTEM_CLIENT_ID, OUTPUT_USER_CLIENT_ID, OUTPUT_USER_POOL_ID

RESOURCE_SERVER_ID, SYSTEM_SCOPE_NAME = SYSTEM_SCOPE.split("/")
TENANT_ATTRIBUTE = TENANT_CLAIM.removeprefix("custom:")
LOCAL_PASSWORD = "Local-password-1"  # noqa: S105 - local users only: the embedded pool lives in memory
TOKEN_SECONDS = 3600
ALGORITHM = "RS256"  # the only one the HTTP API's JWT authorizer accepts
MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
# A refused body is still read (up to the HTTP API's own 10 MB payload limit), so that the client
# gets the 413 instead of a connection reset while it is still sending.
DRAINED_BYTES = 10 * 1024 * 1024
UNAUTHORIZED = json.dumps({"message": "Unauthorized"}).encode()  # what API Gateway answers

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class LocalIdentity:
    region: str
    user_pool_id: str
    user_client_id: str
    system_client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def local_identity(outputs: dict[str, str], region: str) -> LocalIdentity:
    """The local user pool and clients, from the outputs of the stack `local serve` published."""
    try:
        return LocalIdentity(
            region,
            outputs[OUTPUT_USER_POOL_ID],
            outputs[OUTPUT_USER_CLIENT_ID],
            outputs[OUTPUT_SYSTEM_CLIENT_ID],
        )
    except KeyError:
        raise AutodispatchError(
            "the stack has no local integration API: start `autodispatch local serve`, export what it prints"
        ) from None


def deploy_identity(cognito: Any, region: str) -> LocalIdentity:
    """The user pool of the stack's Identity construct, as far as moto emulates it."""
    pool = cognito.create_user_pool(
        PoolName="autodispatch-api",
        Schema=[
            {"Name": TENANT_ATTRIBUTE, "AttributeDataType": "String", "Mutable": False},
        ],
    )["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool,
        Identifier=RESOURCE_SERVER_ID,
        Name=RESOURCE_SERVER_ID,
        Scopes=[{"ScopeName": SYSTEM_SCOPE_NAME, "ScopeDescription": "Act on the granted tenants"}],
    )
    user_client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="users", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    system_client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="billing-system",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[SYSTEM_SCOPE],
        AllowedOAuthFlowsUserPoolClient=True,
    )["UserPoolClient"]["ClientId"]
    return LocalIdentity(region, pool, user_client, system_client)


def tenant_token(cognito: Any, identity: LocalIdentity, tenant_id: str) -> str:
    """An ID token of the local user of `tenant_id`, created on first use."""
    username = f"user-{tenant_id}"
    try:
        cognito.admin_get_user(UserPoolId=identity.user_pool_id, Username=username)
    except cognito.exceptions.UserNotFoundException:
        cognito.admin_create_user(
            UserPoolId=identity.user_pool_id,
            Username=username,
            UserAttributes=[{"Name": TENANT_CLAIM, "Value": tenant_id}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=identity.user_pool_id, Username=username, Password=LOCAL_PASSWORD, Permanent=True
        )
    result = cognito.initiate_auth(
        ClientId=identity.user_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": LOCAL_PASSWORD},
    )["AuthenticationResult"]
    return str(result["IdToken"])


def system_token(identity: LocalIdentity) -> str:
    """The access token Cognito's client-credentials flow gives the default system client."""
    now = int(time.time())
    claims = {
        "iss": identity.issuer,
        "sub": identity.system_client_id,
        "client_id": identity.system_client_id,
        "token_use": "access",
        "scope": SYSTEM_SCOPE,
        "iat": now,
        "auth_time": now,
        "exp": now + TOKEN_SECONDS,
        "jti": str(uuid.uuid4()),
    }
    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


class TokenVerifier:
    """What the HTTP API's JWT authorizer checks, as API Gateway documents it: a `kid` of one of the
    issuer's keys, an RS256 signature by that key, `iss`, the audience (`aud`, a string or a list,
    or `client_id` where there is no `aud`) among the API's clients, `exp` in the future, `nbf` and
    `iat` (where present) not in the future."""

    def __init__(self, identity: LocalIdentity) -> None:
        self._keys = KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))
        self._key_ids = {key.kid for key in self._keys}
        self._issuer = identity.issuer
        self._audiences = {identity.user_client_id, identity.system_client_id}

    def claims(self, authorization: str | None, now: float | None = None) -> dict[str, Any] | None:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or not self._known_key(token):
            return None
        try:
            decoded = jwt.decode(token, self._keys, algorithms=[ALGORITHM])
        except (JoseError, ValueError):
            return None
        claims = dict(decoded.claims)
        return claims if self._valid(claims, time.time() if now is None else now) else None

    def _known_key(self, token: str) -> bool:
        """The header names the algorithm and one of the issuer's keys: no `kid`, no key guessing."""
        try:
            encoded = token.split(".", 1)[0]
            header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (ValueError, binascii.Error):
            return False
        return (
            isinstance(header, dict) and header.get("alg") == ALGORITHM and header.get("kid") in self._key_ids
        )

    def _valid(self, claims: dict[str, Any], now: float) -> bool:
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != self._issuer or not any(a in self._audiences for a in audiences):
            return False
        expires = _numeric_date(claims.get("exp"))
        if expires is None or expires <= now:
            return False
        for name in ("nbf", "iat"):  # optional, but never in the future
            if name in claims and ((at := _numeric_date(claims[name])) is None or at > now):
                return False
        return True


def _numeric_date(value: object) -> float | None:
    """A NumericDate (seconds since 1970: a number, not a boolean), or None."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _request_handler(verifier: TokenVerifier, invoke: Invoke) -> type[BaseHTTPRequestHandler]:
    # A Lambda instance handles one request at a time, and the handler relies on it (Powertools'
    # resolver keeps the request's context on the module-level app): the server's threads take
    # turns, as the concurrent requests of one page would on separate instances.
    one_at_a_time = threading.Lock()

    class ApiRequest(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            claims = verifier.claims(self.headers.get("Authorization"))
            if claims is None:
                self._respond(401, {"content-type": "application/json"}, UNAUTHORIZED)
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._drain(length)
                self._respond(413, {"content-type": "application/json"}, b'{"message":"Request too large"}')
                return
            body, encoded = _as_api_gateway_body(self.rfile.read(length) if length else b"")
            url = urlsplit(self.path)
            scope = claims.get("scope")
            event = http_api_event(
                self.command,
                unquote(url.path),  # the HTTP API hands the function the decoded path
                query=dict(parse_qsl(url.query, keep_blank_values=True)),
                body=body,
                base64_encoded=encoded,
                headers=dict(self.headers.items()),
                claims=claims,
                scopes=scope.split() if isinstance(scope, str) else None,
            )
            with one_at_a_time:
                response = invoke(event)
            payload = str(response.get("body") or "").encode()
            self._respond(int(response.get("statusCode", 502)), response.get("headers") or {}, payload)

        def _drain(self, length: int) -> None:
            left = min(length, DRAINED_BYTES)
            while left > 0 and (chunk := self.rfile.read(min(left, 1 << 16))):
                left -= len(chunk)
            self.close_connection = True

        def _respond(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the local API's requests are not the serve terminal's business."""

    return ApiRequest


def _as_api_gateway_body(raw: bytes) -> tuple[str | None, bool]:
    """The body as text, or base64 with isBase64Encoded when its bytes are not UTF-8 text."""
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def serving_api(port: int, verifier: TokenVerifier, invoke: Invoke) -> AbstractContextManager[str]:
    """The API on 127.0.0.1:port until the block ends; yields its URL."""
    return serving_http(port, _request_handler(verifier, invoke), "autodispatch-api", "--api-port")
