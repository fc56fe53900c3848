"""R27: the local API's JWT check is as strict as API Gateway's documented JWT authorizer, so that
the local tests prove what the deployed API would do: a `kid` of one of the issuer's keys, an
RS256 signature by it, `iss`, the audience (`aud` as a string or a list, `client_id` only where
there is no `aud`), `exp` in the future, `nbf` and `iat` not in the future."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from autodispatch_cli.local.api_server import LocalIdentity, TokenVerifier

IDENTITY = LocalIdentity("eu-north-1", "eu-north-1_pool", "user-client", "system-client")
NOW = time.time()
PRIVATE = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def claims(**changes: Any) -> dict[str, Any]:
    valid = {
        "iss": IDENTITY.issuer,
        "aud": "user-client",
        "token_use": "id",
        "custom:tenant_id": "kahvila",
        "iat": int(NOW) - 10,
        "exp": int(NOW) + 600,
    }
    return {name: value for name, value in {**valid, **changes}.items() if value is not None}


def signed(body: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    return jwt.encode(header or {"kid": "dummy", "alg": "RS256"}, body, PRIVATE)


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], body: dict[str, Any], key: bytes = b"") -> str:
    """A token built by hand: `alg: none`, or HS256 keyed with whatever the attacker holds."""
    head = _segment(json.dumps(header).encode()) + "." + _segment(json.dumps(body).encode())
    signature = hmac.new(key, head.encode(), hashlib.sha256).digest() if header["alg"] == "HS256" else b""
    return head + "." + _segment(signature)


@pytest.fixture(scope="module")
def verifier() -> TokenVerifier:
    return TokenVerifier(IDENTITY)


def check(verifier: TokenVerifier, token: str) -> dict[str, Any] | None:
    return verifier.claims(f"Bearer {token}", now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        claims(),
        claims(aud=["other", "user-client"]),  # a list names the client
        claims(aud=None, client_id="system-client", token_use="access"),  # access token: client_id
        claims(nbf=int(NOW) - 5),
    ],
    ids=["id token", "aud list", "access token", "nbf passed"],
)
def test_r27_a_token_of_the_pool_for_the_apis_clients_is_taken(verifier: TokenVerifier, body: Any) -> None:
    assert check(verifier, signed(body)) == body


@pytest.mark.parametrize(
    "body",
    [
        claims(iss="https://cognito-idp.eu-north-1.amazonaws.com/another-pool"),
        claims(aud="another-client"),
        claims(aud=["another-client"]),
        claims(aud="another-client", client_id="system-client"),  # aud wins where it is present
        claims(aud=None),
        claims(exp=int(NOW) - 1),
        claims(exp=None),
        claims(exp="tomorrow"),
        claims(nbf=int(NOW) + 60),
        claims(iat=int(NOW) + 60),
        claims(iat=True),
    ],
    ids=[
        "issuer",
        "audience",
        "audience list",
        "aud before client_id",
        "no audience",
        "expired",
        "no exp",
        "exp not a number",
        "not yet valid",
        "issued in the future",
        "iat not a number",
    ],
)
def test_r27_a_token_failing_a_claim_check_is_refused(verifier: TokenVerifier, body: Any) -> None:
    assert check(verifier, signed(body)) is None


def test_r27_a_token_without_a_known_kid_or_an_rs256_signature_is_refused(verifier: TokenVerifier) -> None:
    body = claims()
    public_pem = PRIVATE.as_pem(private=False)
    header, payload, signature = signed(body).split(".")
    forged_payload = _segment(json.dumps(claims(**{"custom:tenant_id": "tilitoimisto"})).encode())
    refused = {
        "no kid": signed(body, {"alg": "RS256"}),
        "unknown kid": signed(body, {"alg": "RS256", "kid": "other"}),
        "alg none": unsigned({"alg": "none", "kid": "dummy"}, body),
        "alg none, no signature": unsigned({"alg": "none", "kid": "dummy"}, body).rstrip("."),
        "HS256 keyed with the public key": unsigned({"alg": "HS256", "kid": "dummy"}, body, public_pem),
        "re-signed payload": f"{header}.{forged_payload}.{signature}",
        "broken signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "not a token": "abc",
        "header not JSON": "e30K." + payload + "." + signature,
    }
    for name, token in refused.items():
        assert check(verifier, token) is None, name
    assert verifier.claims(f"Basic {signed(body)}", now=NOW) is None
    assert verifier.claims(None, now=NOW) is None
