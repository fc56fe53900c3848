"""R25, R27 under attack, against `local serve` as a client reaches it: forged and replayed tokens,
another tenant's routes by encoded, case-changed, NFKC and `..` variants of the path, another
tenant's cursor, deep, huge, mistyped and misdeclared bodies. Each gets its documented 4xx (never a
5xx), and nothing any tenant can see changed."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from autodispatch.models.limits import JSON_MAX_DEPTH
from autodispatch.rules.access import SYSTEM_SCOPE, TENANT_CLAIM
from tests.local_serve import cli, served_locally

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"
MOTO_KEY = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Target:
    url: str
    tenant: str  # kahvila's ID token
    system: str

    def send(
        self,
        method: str,
        path: str,
        token: str | None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> Answer:
        headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(self.url + path, method=method, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def state(self) -> Any:
        """What every tenant can see, read with the system token."""
        seen = {}
        for tenant_id in ("kahvila", "tilitoimisto"):
            for path in (f"/tenants/{tenant_id}", f"/tenants/{tenant_id}/invoices?limit=500"):
                answer = self.send("GET", path, self.system)
                assert answer.status == 200
                seen[path] = answer.json()
        seen["/runs"] = self.send("GET", "/runs", self.system).json()
        return seen


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with served_locally() as local:
        cli("invoices", "import", str(DEMO))
        yield Target(
            local.api_url,
            cli("local", "token", "--tenant", "kahvila").strip(),
            cli("local", "token", "--system").strip(),
        )


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _by_hand(header: dict[str, Any], claims: dict[str, Any], key: bytes = b"") -> str:
    head = f"{_segment(json.dumps(header).encode())}.{_segment(json.dumps(claims).encode())}"
    signature = hmac.new(key, head.encode(), hashlib.sha256).digest() if header["alg"] == "HS256" else b""
    return f"{head}.{_segment(signature)}"


def bad_tokens(target: Target) -> dict[str, str]:
    """Tokens claiming tilitoimisto that API Gateway's JWT authorizer refuses (401)."""
    own = _claims(target.tenant)
    theirs = {**own, TENANT_CLAIM: "tilitoimisto"}
    header, _, signature = target.tenant.split(".")
    now = int(time.time())
    rs256 = {"alg": "RS256", "kid": "dummy"}
    return {
        "forged signature": f"{header}.{_segment(json.dumps(theirs).encode())}.{signature}",
        "re-signed by another key": jwt.encode(rs256, theirs, RSAKey.generate_key(2048)),
        "expired": jwt.encode(rs256, {**own, "iat": now - 7200, "exp": now - 3600}, MOTO_KEY),
        "not yet valid": jwt.encode(rs256, {**own, "nbf": now + 3600}, MOTO_KEY),
        "issued in the future": jwt.encode(rs256, {**own, "iat": now + 3600}, MOTO_KEY),
        "no kid": jwt.encode({"alg": "RS256"}, theirs, MOTO_KEY),
        "another issuer": jwt.encode(rs256, {**theirs, "iss": "https://example.com/pool"}, MOTO_KEY),
        "another audience": jwt.encode(rs256, {**theirs, "aud": "another-client"}, MOTO_KEY),
        "alg none": _by_hand({"alg": "none", "kid": "dummy"}, theirs),
        "HS256 with the public key": _by_hand(
            {"alg": "HS256", "kid": "dummy"}, theirs, MOTO_KEY.as_pem(private=False)
        ),
    }


def test_r27_forged_expired_and_resigned_tokens_are_401_and_change_nothing(target: Target) -> None:
    before = target.state()
    settings = target.send("GET", "/tenants/tilitoimisto/settings", target.system).json()
    changed = json.dumps({**settings, "notify_email": "attacker@example.com"}).encode()
    for name, token in bad_tokens(target).items():
        for method, path, body in [
            ("GET", "/tenants/tilitoimisto/invoices", None),
            ("PUT", "/tenants/tilitoimisto/settings", changed),
            ("POST", "/tenants/tilitoimisto/invoices/t-503/send", None),
        ]:
            answer = target.send(method, path, token, body)
            assert answer.status == 401, (name, path, answer)
            assert b"t-50" not in answer.body
    assert target.state() == before


def test_r27_an_id_token_claiming_the_system_scope_gets_no_system_access(target: Target) -> None:
    own = _claims(target.tenant)
    system_client = _claims(target.system)["client_id"]
    claims = {key: value for key, value in own.items() if key != TENANT_CLAIM}
    token = jwt.encode(
        {"alg": "RS256", "kid": "dummy"},
        {**claims, "scope": SYSTEM_SCOPE, "client_id": system_client, "token_use": "id"},
        MOTO_KEY,
    )
    before = target.state()
    assert target.send("GET", "/runs", token).status == 403
    assert target.send("POST", "/runs", token, b'{"run_date": "2026-03-10"}').status == 403
    assert target.send("GET", "/tenants/tilitoimisto/invoices", token).status == 403
    assert target.state() == before


@pytest.mark.parametrize(
    "path",
    [
        "/tenants/TILITOIMISTO/invoices",
        "/tenants/Tilitoimisto/invoices/t-503",
        "/tenants/tilitoimist%6F/invoices",
        "/tenants/%74ilitoimisto/settings",
        "/tenants/%EF%BD%94ilitoimisto/invoices",  # fullwidth t: NFKC makes it 'tilitoimisto'
        "/tenants/kahvila/../tilitoimisto/invoices",
        "/tenants/kahvila/%2E%2E/tilitoimisto/invoices",
        "/tenants/kahvila%2F..%2Ftilitoimisto/invoices",
        "/tenants/kahvila%2Ftilitoimisto/invoices",
        "/tenants/tilitoimisto%00/invoices",
        "/tenants//tilitoimisto/invoices",
        "/tenants/kahvila/invoices/..%2F..%2Ftilitoimisto%2Finvoices%2Ft-503",
    ],
)
def test_r27_another_tenants_route_by_any_spelling_of_the_path_gives_nothing(
    target: Target, path: str
) -> None:
    answer = target.send("GET", path, target.tenant)
    assert answer.status in {400, 403, 404}, (path, answer)
    assert set(answer.json()) <= {"status", "message", "issues"}  # an error, no data


def test_r27_a_cursor_of_another_tenants_list_is_400(target: Target) -> None:
    page = target.send("GET", "/tenants/tilitoimisto/invoices?limit=1", target.system).json()
    assert page["next_cursor"]
    answer = target.send("GET", f"/tenants/kahvila/invoices?cursor={page['next_cursor']}", target.tenant)
    assert answer.status == 400
    assert "cursor" in answer.json()["message"]


def test_r25_r27_bad_bodies_get_their_documented_4xx_and_change_nothing(target: Target) -> None:
    settings = target.send("GET", "/tenants/kahvila/settings", target.tenant).json()
    good = json.dumps(settings).encode()
    path = "/tenants/kahvila/settings"
    before = target.state()
    cases = [
        ("deep", b"[" * (JSON_MAX_DEPTH + 1) + b"]" * (JSON_MAX_DEPTH + 1), "application/json", 400),
        ("very deep", b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "application/json", 400),
        ("not UTF-8", good.replace(b"EMAIL", b"EMAIL\xff", 1), "application/json", 400),
        ("huge", b'{"padding": "' + b"x" * (7 * 1024 * 1024) + b'"}', "application/json", 413),
        ("not JSON", b"{not json", "application/json", 422),
        ("mistyped", json.dumps({**settings, "channels": "EMAIL"}).encode(), "application/json", 422),
        (
            "unknown field",
            json.dumps({**settings, "padding": "x" * 100_000}).encode(),
            "application/json",
            422,
        ),
        ("plain text", good, "text/plain", 415),
        ("form", b"active=true", "application/x-www-form-urlencoded", 415),
        ("digits", b'{"consumer_einvoicing": ' + b"9" * 5000 + b"}", "application/json", 400),
    ]
    for name, body, content_type, status in cases:
        answer = target.send("PUT", path, target.tenant, body, content_type)
        assert answer.status == status, (name, answer.status, answer.body[:300])
    assert target.state() == before


def test_r2_r4_a_tenant_user_cannot_set_its_own_activation(target: Target) -> None:
    tenant = target.send("GET", "/tenants/kahvila", target.tenant).json()
    before = tenant["settings"]["activated_at"]
    forged = {**tenant, "settings": {**tenant["settings"], "activated_at": "2999-12-31T00:00:00+00:00"}}
    answer = target.send("PUT", "/tenants/kahvila", target.tenant, json.dumps(forged).encode())
    assert answer.status == 200, answer
    assert answer.json()["settings"]["activated_at"] == before
    settings = {**tenant["settings"], "active": False, "activated_at": None}
    answer = target.send("PUT", "/tenants/kahvila/settings", target.tenant, json.dumps(settings).encode())
    assert answer.status == 200, answer
    assert (answer.json()["active"], answer.json()["activated_at"]) == (True, before)


def test_r27_unknown_routes_and_methods_are_404_and_405_never_500(target: Target) -> None:
    assert target.send("GET", "/nothing", target.system).status == 404
    assert target.send("GET", "/tenants/kahvila/invoices/k-1001/explode", target.system).status == 404
    answer = target.send("DELETE", "/tenants/kahvila", target.system)
    assert answer.status == 405
    assert answer.headers["Allow"] == "GET, PUT"
    assert target.send("PATCH", "/runs", target.system).status == 405


def test_r1_r10_a_run_of_a_night_that_has_not_come_is_400(target: Target) -> None:
    before = target.send("GET", "/runs", target.system).json()
    answer = target.send("POST", "/runs", target.system, b'{"run_date": "2999-01-01"}')
    assert answer.status == 400
    assert answer.json()["issues"][0]["field"] == "run_date"
    assert target.send("GET", "/runs", target.system).json() == before


def test_r27_an_invoice_id_with_a_colon_opens_by_its_encoded_path(target: Target) -> None:
    document = next(i for i in json.loads(DEMO.read_text())["invoices"] if i["invoice_id"] == "k-1010")
    changed = {**document, "invoice_id": "k:2002", "number": "2002"}
    put = target.send(
        "PUT", "/tenants/kahvila/invoices/k%3A2002", target.system, json.dumps(changed).encode()
    )
    assert put.status == 200, put
    opened = target.send("GET", "/tenants/kahvila/invoices/k%3A2002", target.tenant)
    assert opened.status == 200, opened
    assert opened.json()["invoice_id"] == "k:2002"
