"""R28: the tenant view's local server: the page's own files only, with the CSP on every answer,
and /api/... passed to the integration API without the prefix, status and body unchanged."""

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import pytest

from autodispatch_cli.local.http_thread import serving_http
from autodispatch_cli.local.serve import free_port
from autodispatch_cli.local.web_server import CONTENT_SECURITY_POLICY, serving_web

MINTED = "token-of-{}"


class EchoApi(BaseHTTPRequestHandler):
    """Answers 418 with what it received, as JSON."""

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = {
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "accept_language": self.headers.get("Accept-Language"),
            "body": self.rfile.read(length).decode() if length else None,
        }
        payload = json.dumps(received).encode()
        self.send_response(418)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _echo

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def web_url() -> Iterator[str]:
    with (
        serving_http(free_port(), EchoApi, "echo-api", "--api-port") as api_url,
        serving_web(free_port(), api_url, MINTED.format) as url,
    ):
        yield url


@pytest.fixture(scope="module")
def web_url_without_sign_in() -> Iterator[str]:
    with (
        serving_http(free_port(), EchoApi, "echo-api", "--api-port") as api_url,
        serving_web(free_port(), api_url) as url,
    ):
        yield url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": "Bearer t", "Accept-Language": "sv"}
    request = urllib.request.Request(url, method=method, data=body, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_r28_the_page_and_its_modules_are_served_with_the_content_security_policy(web_url: str) -> None:
    status, headers, body = _get(web_url)
    assert status == 200
    assert b'<script type="module" src="app.js">' in body
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["Referrer-Policy"] == "no-referrer"
    status, headers, _ = _get(f"{web_url}app.js")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    status, headers, body = _get(web_url, "HEAD")
    assert (status, body, headers["Content-Security-Policy"]) == (200, b"", CONTENT_SECURITY_POLICY)
    status, headers, _ = _get(f"{web_url}views/settings.js")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    status, _, body = _get(f"{web_url}locales/sv.json")
    assert (status, json.loads(body)["activate"]) == (200, "Aktivera")
    status, _, body = _get(f"{web_url}config.json")
    assert json.loads(body) == {"apiBase": "/api", "localSignIn": "/local/sign-in"}


def test_r28_local_sign_in_answers_the_pages_own_state_with_the_token(web_url: str) -> None:
    status, headers, _ = _get(f"{web_url}local/sign-in?tenant=kahvila&state=s-1")
    assert status == 303
    assert headers["Location"] == "/#id_token=token-of-kahvila&state=s-1"
    status, headers, _ = _get(f"{web_url}local/sign-in?system=1&state=s-2")
    assert headers["Location"] == "/#id_token=token-of-None&state=s-2"
    for query in ("tenant=kahvila", "state=s-3", "tenant=kahvila&system=1&state=s-4"):
        status, headers, _ = _get(f"{web_url}local/sign-in?{query}")
        assert (status, "Location" in headers) == (400, False)


def test_r28_without_a_token_minter_there_is_no_local_sign_in(web_url_without_sign_in: str) -> None:
    status, _, body = _get(f"{web_url_without_sign_in}config.json")
    assert json.loads(body) == {"apiBase": "/api"}
    status, _, _ = _get(f"{web_url_without_sign_in}local/sign-in?tenant=kahvila&state=s")
    assert status == 404


@pytest.mark.parametrize("path", ["../pyproject.toml", "%2e%2e/pyproject.toml", "web/app.js", "nothing.js"])
def test_r28_nothing_but_the_pages_own_files_is_served(web_url: str, path: str) -> None:
    status, headers, _ = _get(f"{web_url}{path}")
    assert status == 404
    assert "Content-Security-Policy" in headers


def test_r28_api_requests_reach_the_api_without_the_prefix_and_come_back_unchanged(web_url: str) -> None:
    status, _, body = _get(f"{web_url}api/tenants/t/invoices/i/send", "POST", b'{"channel": "EMAIL"}')
    assert status == 418
    assert json.loads(body) == {
        "method": "POST",
        "path": "/tenants/t/invoices/i/send",
        "authorization": "Bearer t",
        "accept_language": "sv",
        "body": '{"channel": "EMAIL"}',
    }


def _raw(web_url: str, request: bytes) -> tuple[int, str]:
    """The status and headers of the answer to a request line no client library would send."""
    address = urlsplit(web_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := connection.recv(65536)):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return int(head.split(" ", 2)[1]), head.lower()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /a b HTTP/1.1\r\n\r\n", 400),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"TRACE / HTTP/1.1\r\n\r\n", 501),
        (b"OPTIONS / HTTP/1.1\r\n\r\n", 501),
        (b"GET /nothing HTTP/1.1\r\n\r\n", 404),
    ],
    ids=["malformed", "uri too long", "trace", "options", "not found"],
)
def test_r28_the_servers_own_error_answers_carry_the_security_headers(
    web_url: str, request_bytes: bytes, status: int
) -> None:
    answered, head = _raw(web_url, request_bytes)
    assert answered == status
    assert f"content-security-policy: {CONTENT_SECURITY_POLICY}".lower() in head
    assert "x-content-type-options: nosniff" in head
    assert "referrer-policy: no-referrer" in head
