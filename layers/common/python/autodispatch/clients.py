"""boto3's clients are thread-safe, its default session is not (boto3's guide, "Multithreading"):
the workers of a batch (logic/dispatch.py) may each be the first to need a client, so every
adapter creates its clients through `new_client`, one at a time."""

import threading
from collections.abc import Callable
from typing import TypeVar

Client = TypeVar("Client")

_CREATING = threading.Lock()


def new_client(create: Callable[[], Client]) -> Client:
    """`create()` (a `boto3.client(...)` call on the default session), never two at once."""
    with _CREATING:
        return create()
