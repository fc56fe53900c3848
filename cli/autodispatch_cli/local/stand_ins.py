"""Stand-ins for the document services a deployment reaches over HTTP (`<name>Transport: http`): the
e-invoice operator (`einvoice`), the Peppol access point (`peppol`) and the print service
(`print`), one for each route transport of `models/routes.py`, each on its own port of 127.0.0.1.

Each answers as it is told, independently of the others, so a run can meet an access point that
refuses or never answers while the operator accepts (R12, R23):

- `ACCEPT`: 202, the document kept in `received`;
- `REFUSE`: 422, refused for good (the chain goes on to the next channel, R12);
- `NO_ANSWER`: the request is read and the connection closed without an answer, as when a timeout
  strikes after sending: whether the service took the document is unknown (R23).

    with StandIns() as services, LocalAws(environment=services.environment()) as local: ...
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from autodispatch.models.routes import CONFIGURED_TRANSPORTS
from autodispatch_cli.local.http_thread import serving_http

# The HTTP transport sends each metadata value (tenant-id, invoice-id, kind, channel) as a header.
METADATA_HEADER_PREFIX = "X-Autodispatch-"


class Answer(StrEnum):
    ACCEPT = "ACCEPT"
    REFUSE = "REFUSE"
    NO_ANSWER = "NO_ANSWER"


@dataclass(frozen=True)
class Received:
    """One document as the service received it: its message id (the Idempotency-Key), content type,
    the metadata headers decoded, and the body."""

    message_id: str
    content_type: str
    metadata: dict[str, str]
    body: bytes


class StandIn:
    """One service: what it answers (`answer`, changeable while it runs) and what reached it."""

    def __init__(self, name: str, answer: Answer = Answer.ACCEPT) -> None:
        self.name = name
        self.answer = answer
        self.received: list[Received] = []  # accepted documents, in order
        self.refused: list[Received] = []  # refused or left without an answer
        self.url = ""
        self._lock = threading.Lock()

    def _take(self, document: Received) -> Answer:
        with self._lock:
            answer = self.answer
            (self.received if answer is Answer.ACCEPT else self.refused).append(document)
            return answer

    def handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Request(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                metadata = {
                    key[len(METADATA_HEADER_PREFIX) :].lower(): unquote(value)
                    for key, value in self.headers.items()
                    if key.lower().startswith(METADATA_HEADER_PREFIX.lower())
                }
                document = Received(
                    message_id=self.headers.get("Idempotency-Key", ""),
                    content_type=self.headers.get("Content-Type", ""),
                    metadata=metadata,
                    body=body,
                )
                answer = service._take(document)
                if answer is Answer.NO_ANSWER:
                    self.close_connection = True
                    return  # no status line: the client sent and got nothing back
                self.send_response(202 if answer is Answer.ACCEPT else 422)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Request


class StandIns:
    """A stand-in for each route transport, started together and stopped together."""

    def __init__(self, answers: Mapping[str, Answer] | None = None) -> None:
        unknown = set(answers or {}) - set(CONFIGURED_TRANSPORTS)
        if unknown:
            raise ValueError(f"no route transport named {sorted(unknown)}")
        self.services = {
            name: StandIn(name, (answers or {}).get(name, Answer.ACCEPT)) for name in CONFIGURED_TRANSPORTS
        }
        self._stack = ExitStack()

    def __getitem__(self, name: str) -> StandIn:
        return self.services[name]

    def __enter__(self) -> StandIns:
        for name, service in self.services.items():
            service.url = self._stack.enter_context(_serving(service, name)) + "/documents"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stack.close()

    def environment(self) -> dict[str, str]:
        """The function environment that sends each route transport to its own stand-in."""
        environment: dict[str, str] = {}
        for name, service in self.services.items():
            environment[f"{name.upper()}_TRANSPORT"] = "http"
            environment[f"{name.upper()}_ENDPOINT"] = service.url
        return environment


@contextmanager
def _serving(service: StandIn, name: str) -> Iterator[str]:
    # Port 0: the system picks a free port, so the stand-ins never collide with each other.
    with serving_http(0, service.handler(), f"stand-in-{name}", port_option="") as url:
        yield url
