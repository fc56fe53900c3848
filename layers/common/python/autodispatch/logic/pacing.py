"""Email pacing: each dispatch invocation spaces its emails so that the Distributed Map's concurrent
children together stay within the account's SES send rate (R24: throttling is the exception that
retries absorb, not the rule). The deployment gives each invocation its share: rate / concurrency."""

import time
from collections.abc import Callable

from autodispatch.models.enums import Channel

# Paces one send through a channel: returns when the send may go.
Pace = Callable[[Channel], None]


def no_pacing(channel: Channel) -> None:
    """For channels and deployments without a send rate."""


class EmailPacer:
    """At most `per_second` emails per second from this invocation; other channels pass."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next_send: float | None = None

    def __call__(self, channel: Channel) -> None:
        if channel is not Channel.EMAIL:
            return
        now = self._clock()
        if self._next_send is not None and now < self._next_send:
            self._sleep(self._next_send - now)
            now = self._next_send
        self._next_send = now + self._interval
