"""R24: emails are spaced to the invocation's share of the SES rate; other channels are not."""

from autodispatch.logic.pacing import EmailPacer
from autodispatch.models.enums import Channel


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_r24_emails_are_spaced_to_the_rate_other_channels_pass() -> None:
    time = FakeTime()
    pace = EmailPacer(2.0, clock=time.clock, sleep=time.sleep)
    pace(Channel.EMAIL)  # the first goes at once
    pace(Channel.EINVOICE)
    pace(Channel.PRINT)
    pace(Channel.EMAIL)
    time.now += 0.2  # rendering took a while: only the rest of the interval is waited
    pace(Channel.EMAIL)
    assert time.slept == [0.5, 0.3]


def test_r24_an_idle_pacer_does_not_wait() -> None:
    time = FakeTime()
    pace = EmailPacer(1.0, clock=time.clock, sleep=time.sleep)
    pace(Channel.EMAIL)
    time.now += 5
    pace(Channel.EMAIL)
    assert time.slept == []
