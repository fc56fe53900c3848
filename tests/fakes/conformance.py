"""Checked by mypy (`make typecheck`): each fake implements the port it stands in for, so a
port that changes breaks the fakes at type-check time, not in a confusing test failure. The one
store fake is the whole InvoiceStore, so it stands in for every use case's narrower port."""

from autodispatch.channels.port import Deliverer
from autodispatch.notify.port import Notifier
from autodispatch.store.port import InvoiceStore
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.store import InMemoryInvoiceStore

STORE: InvoiceStore = InMemoryInvoiceStore()
DELIVERER: Deliverer = ScriptedDeliverer()
NOTIFIER: Notifier = RecordingNotifier()
