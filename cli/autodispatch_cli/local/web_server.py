"""The tenant view (R28) of `local serve`: the static page under web/ on 127.0.0.1, and the
integration API under /api on the same origin, so that the page's Content-Security-Policy can allow
only its own origin (as CloudFront serves it deployed: the page and /api behind one domain).

The page's files are served from a fixed list read at start, never from a path the request names.

Local sign-in starts from the page, as the deployed managed login does: the page stores a random
`state` and goes to /local/sign-in?tenant=T&state=S (or system=1), which mints the token by the code
of `autodispatch local token` and sends the browser back to /#id_token=...&state=S. Like that
command, it signs in anyone who can reach 127.0.0.1: local serve is a developer's machine only.
"""

from __future__ import annotations

import json
import mimetypes
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from botocore.exceptions import ClientError

from autodispatch_cli.local.http_thread import serving_http

WEB_DIR = Path(__file__).resolve().parents[3] / "web"
API_PREFIX = "/api"
PROXY_TIMEOUT_SECONDS = 60
MAX_BODY_BYTES = 6 * 1024 * 1024
FORWARDED_HEADERS = ("Authorization", "Content-Type", "Accept-Language")
RETURNED_HEADERS = ("Allow",)  # besides Content-Type: what the API's answer says to the client
LOCAL_SIGN_IN = "/local/sign-in"
# Only the page's own scripts, styles and API; no inline code, no framing, no referrer leaks.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# The deployed page reads the API's URL and the managed login from config.json; locally the API
# is on the page's own origin and sign-in goes through the local sign-in endpoint.
LOCAL_CONFIG = {"apiBase": API_PREFIX}
# tenant id (None: the billing system) -> a bearer token, as `autodispatch local token` mints it.
MintToken = Callable[[str | None], str]


def page_files(web_dir: Path = WEB_DIR) -> dict[str, tuple[str, bytes]]:
    """URL path -> (content type, bytes) of every file of the page (its views and catalogues too)."""
    files: dict[str, tuple[str, bytes]] = {}
    for file in sorted(web_dir.rglob("*")):
        if file.is_file() and file.name != "config.json":
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if file.suffix == ".js":  # module scripts need a JavaScript type whatever the OS table says
                content_type = "text/javascript"
            files[f"/{file.relative_to(web_dir).as_posix()}"] = (
                f"{content_type}; charset=utf-8",
                file.read_bytes(),
            )
    files["/"] = files["/index.html"]
    return files


def local_config(sign_in: bool) -> tuple[str, bytes]:
    """config.json of the local page: the API on its own origin, and the local sign-in if served."""
    return "application/json", json.dumps(
        LOCAL_CONFIG | ({"localSignIn": LOCAL_SIGN_IN} if sign_in else {})
    ).encode()


def _request_handler(
    files: dict[str, tuple[str, bytes]], api_url: str, mint_token: MintToken | None
) -> type[BaseHTTPRequestHandler]:
    class WebRequest(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path = url.path
            if path == API_PREFIX or path.startswith(f"{API_PREFIX}/"):
                self._proxy()
                return
            if path == LOCAL_SIGN_IN and mint_token is not None and self.command == "GET":
                self._sign_in(parse_qs(url.query))
                return
            found = files.get(path)
            if found is None:
                self._respond(404, "text/plain; charset=utf-8", b"not found")
                return
            self._respond(200, *found)

        def _proxy(self) -> None:
            """The API's answer to the same request, its path without the /api prefix."""
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._respond(413, "application/json", b'{"message":"Request too large"}')
                return
            body = self.rfile.read(length) if length else None
            request = urllib.request.Request(  # noqa: S310 - the local API's own http URL
                api_url + self.path.removeprefix(API_PREFIX),
                method=self.command,
                data=body,
                headers={name: value for name in FORWARDED_HEADERS if (value := self.headers.get(name))},
            )
            try:
                with urllib.request.urlopen(request, timeout=PROXY_TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
                    status, headers, payload = response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                status, headers, payload = error.code, error.headers, error.read()
            returned = {name: value for name in RETURNED_HEADERS if (value := headers.get(name))}
            self._respond(status, headers.get("Content-Type", "application/json"), payload, returned)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """The server's own error answers (a malformed request 400, a URI too long 414, an
            unsupported method 501) carry the page's security headers like every other answer."""
            self.close_connection = True
            phrase = message or HTTPStatus(code).phrase
            self._respond(code, "text/plain; charset=utf-8", f"{code} {phrase}".encode(errors="replace"))

        def _sign_in(self, query: dict[str, list[str]]) -> None:
            """Back to the page with a token and the page's own state, which it checks."""
            state = query.get("state", [""])[0]
            tenant = query.get("tenant", [""])[0].strip() or None
            system = query.get("system", [""])[0] == "1"
            if not state or system == (tenant is not None):
                self._respond(
                    400, "text/plain; charset=utf-8", b"sign in from the page: state and tenant or system=1"
                )
                return
            assert mint_token is not None  # only routed here with one
            try:
                token = mint_token(None if system else tenant)
            except ClientError as error:  # the local user pool refused the tenant id: said plainly
                self._respond(400, "text/plain; charset=utf-8", f"no token: {error}".encode())
                return
            self._respond(
                303,
                "text/plain; charset=utf-8",
                b"",
                {"Location": f"/#{urlencode({'id_token': token, 'state': state})}"},
            )

        def _respond(
            self, status: int, content_type: str, payload: bytes, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_HEAD = do_GET
        do_PUT = do_POST = do_DELETE = do_PATCH = _proxy

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: request lines carry invoice ids in paths, not the serve terminal's business."""

    return WebRequest


@contextmanager
def serving_web(port: int, api_url: str, mint_token: MintToken | None = None) -> Iterator[str]:
    """The page on 127.0.0.1:port until the block ends (with local sign-in when `mint_token` is
    given); yields its URL."""
    files = page_files() | {"/config.json": local_config(mint_token is not None)}
    handler = _request_handler(files, api_url, mint_token)
    with serving_http(port, handler, "autodispatch-web", "--web-port") as url:
        yield f"{url}/"
