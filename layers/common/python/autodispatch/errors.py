"""Every exception the library raises on purpose; callers branch on the type, never on text."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autodispatch.models.scenario import InvoiceKey


class AutodispatchError(Exception):
    """Base of the project's own errors: a message fit to show a user as one line."""


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one field, located by tenant and invoice (R25)."""

    field: str
    message: str
    tenant_id: str | None = None
    invoice_id: str | None = None

    def __str__(self) -> str:
        where = []
        if self.tenant_id is not None:
            where.append(f"tenant '{self.tenant_id}'")
        if self.invoice_id is not None:
            where.append(f"invoice '{self.invoice_id}'")
        where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


class InputError(AutodispatchError):
    """Input that breaks the scenario format or R2/R25; carries every issue found."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(issue) for issue in issues))


class InvoiceBusy(InputError):
    """R23: a run is sending the invoice (or stopped while sending it), so it cannot be imported
    again now; a front end may answer 409 Conflict."""


class ActivationRefused(AutodispatchError):
    """R2: activation needs a source, a channel and a notification recipient; `issues` name the
    settings that are missing, for a front end to show next to their fields."""

    def __init__(self, message: str, issues: list[FieldIssue] | None = None) -> None:
        self.issues = issues or []
        super().__init__(message)


class NotFound(AutodispatchError):
    """An unknown tenant, invoice or run."""


class InvalidTransition(AutodispatchError):
    """A state change the rules do not allow (e.g. restoring automatic dispatch on a sent invoice)."""


class ConcurrentUpdate(AutodispatchError):
    """A conditional write lost: another writer moved the item first (the ground for R23)."""


class TransientError(AutodispatchError):
    """A failure worth retrying (throttling, timeouts, 5xx); the state machine retries on this name.

    `in_doubt` is True when the other side may have accepted the message anyway (a timeout after
    sending), False when it certainly did not (throttled before accepting).
    """

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        self.in_doubt = in_doubt
        super().__init__(message)


class PermanentRejection(AutodispatchError):
    """A channel refused the invoice for good; the chain moves on (R12)."""


@dataclass(frozen=True)
class BrokenRule:
    """One rule of the e-invoice network that a document breaks: its id (`BR-CO-16`,
    `PEPPOL-EN16931-R003`, `FINVOICE-XSD`...) and its text."""

    rule_id: str
    text: str


# How many broken rules a reason quotes; the rest are counted.
RULES_QUOTED = 3


class RulesBroken(PermanentRejection):
    """The validation gate: a rendered e-invoice breaks its network's rules, so it never leaves by
    that route and the chain goes on (R12). `rules` keep every broken rule's id and text as data."""

    def __init__(self, document: str, rules: Sequence[BrokenRule]) -> None:
        self.document = document
        self.rules = tuple(rules)
        quoted = "; ".join(f"{rule.rule_id}: {rule.text}" for rule in self.rules[:RULES_QUOTED])
        more = len(self.rules) - RULES_QUOTED
        super().__init__(
            f"the {document} breaks {quoted}" + (f" (and {more} more rules)" if more > 0 else "")
        )


class PartialWrite(AutodispatchError):
    """A store failure stopped a write of several invoices; `written` are the ones fully written
    (document and state), the cause is chained."""

    def __init__(self, message: str, written: Sequence["InvoiceKey"]) -> None:
        self.written = tuple(written)
        super().__init__(message)


class ImportIncomplete(AutodispatchError):
    """A store failure stopped an import after its checks passed; the message says exactly what
    was written and which tenants were put back as they were. Importing the file again finishes
    it (an import is an upsert)."""
