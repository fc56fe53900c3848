"""Checked by mypy (`make typecheck`): each fake implements the port it stands in for, so a
port that changes breaks the fakes at type-check time, not in a confusing test failure."""

from autodispatch.channels.port import Deliverer
from autodispatch.logic.dispatch import DispatchStore
from autodispatch.notify.port import Notifier
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.store import InMemoryDispatchStore

STORE: DispatchStore = InMemoryDispatchStore()
DELIVERER: Deliverer = ScriptedDeliverer()
NOTIFIER: Notifier = RecordingNotifier()
