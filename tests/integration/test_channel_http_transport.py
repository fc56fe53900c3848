"""R4: the HTTP transport against a local server on 127.0.0.1 (R12, R23)."""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from autodispatch.channels.transports import HttpTransport
from autodispatch.errors import PermanentRejection, TransientError

METADATA = {"tenant-id": "kahvila", "invoice-id": "k-1001", "kind": "INVOICE", "channel": "EINVOICE"}


@dataclass
class Behaviour:
    """What the fake operator answers, and what it received."""

    status: int = 202
    hold: threading.Event | None = None  # answer only once set (a slow service)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def operator() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            behaviour.received.append((dict(self.headers.items()), body))
            if behaviour.hold is not None:
                behaviour.hold.wait(timeout=5)
            try:
                self.send_response(behaviour.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/messages", behaviour
    finally:
        if behaviour.hold is not None:
            behaviour.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_r4_http_2xx_accepts_with_idempotency_key_and_api_key(operator: tuple[str, Behaviour]) -> None:
    url, behaviour = operator
    transport = HttpTransport(url, lambda: "secret-key", name="e-invoice operator")

    transport.submit("INV-ABC", b"<Finvoice/>", "application/xml", METADATA)

    [(headers, body)] = behaviour.received
    assert body == b"<Finvoice/>"
    assert headers["Idempotency-Key"] == "INV-ABC"
    assert headers["Authorization"] == "Bearer secret-key"
    assert headers["Content-Type"] == "application/xml"
    assert headers["X-Autodispatch-Invoice-Id"] == "k-1001"


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422])
def test_r12_http_4xx_is_a_permanent_rejection(operator: tuple[str, Behaviour], status: int) -> None:
    url, behaviour = operator
    behaviour.status = status

    with pytest.raises(PermanentRejection, match=f"HTTP {status}"):
        HttpTransport(url, name="print service").submit("PRN-1", b"%PDF", "application/pdf", METADATA)


@pytest.mark.parametrize(
    ("status", "in_doubt"), [(500, True), (502, True), (504, True), (503, False), (429, False)]
)
def test_r23_http_5xx_and_429_are_transient(
    operator: tuple[str, Behaviour], status: int, in_doubt: bool
) -> None:
    url, behaviour = operator
    behaviour.status = status

    with pytest.raises(TransientError) as raised:
        HttpTransport(url).submit("INV-1", b"<Finvoice/>", "application/xml", METADATA)
    assert raised.value.in_doubt is in_doubt


def test_r23_http_timeout_after_sending_is_in_doubt(operator: tuple[str, Behaviour]) -> None:
    url, behaviour = operator
    behaviour.hold = threading.Event()

    with pytest.raises(TransientError) as raised:
        HttpTransport(url, timeout=0.3).submit("INV-1", b"<Finvoice/>", "application/xml", METADATA)

    behaviour.hold.set()
    assert raised.value.in_doubt is True
    assert len(behaviour.received) == 1  # the operator did get it


def test_r23_http_connection_refused_is_not_in_doubt() -> None:
    with socket.socket() as probe:  # a free port, closed again: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransientError) as raised:
        HttpTransport(f"http://127.0.0.1:{port}/v1", timeout=2).submit(
            "INV-1", b"x", "application/xml", METADATA
        )
    assert raised.value.in_doubt is False


def test_r4_http_transport_refuses_non_http_urls() -> None:
    with pytest.raises(ValueError, match="http"):
        HttpTransport("file:///etc/passwd")
