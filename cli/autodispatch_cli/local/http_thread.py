"""One local HTTP server on 127.0.0.1 in a background thread: the integration API's and the tenant
view's of `local serve`, and the document services' stand-ins (`stand_ins.py`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from autodispatch.errors import AutodispatchError


@contextmanager
def serving_http(
    port: int, handler: type[BaseHTTPRequestHandler], name: str, port_option: str
) -> Iterator[str]:
    """`handler` answering on 127.0.0.1:port (0: any free port) until the block ends; yields the URL
    (no trailing slash). `port_option` is the command's option that chooses another port."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        raise AutodispatchError(
            f"port {port} on 127.0.0.1 is in use: choose another with {port_option}"
        ) from None
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"  # the port the system chose for 0
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
