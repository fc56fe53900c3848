"""Every exception the library raises on purpose; callers branch on the type, never on text.

An error is one safe line: every value it echoes goes through `shown` (or `one_line`), and every
front end prints or returns a message through `error_line`, so a line feed, a terminal escape
(ANSI CSI, OSC 8 hyperlinks) or a megabyte-long id in the input never reaches a terminal or a
client as it is.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from autodispatch.models.text import Text

# Control, format (bidirectional overrides, zero-width), surrogate, private-use and unassigned
# characters, and the line and paragraph separators: written out as escapes.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
SHOWN_MAX_CHARACTERS = 100
LINE_MAX_CHARACTERS = 4000


def one_line(text: str) -> str:
    """The text with every character a terminal could act on written as a Python escape (\\n,
    \\x1b, \\u202e)."""
    return "".join(
        char.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(char) in _UNSAFE_CATEGORIES
        else char
        for char in text
    )


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return one_line(text)
    size = len(text.encode("utf-8", "surrogatepass"))
    return f"{one_line(text[:limit])}… ({size:,} bytes)"


def shown(value: object, *, quoted: bool = True) -> str:
    """A value echoed in an error message: one safe line, a huge value shortened with its size
    (`abc… (1,000,000 bytes)`), quoted unless `quoted` is False."""
    text = _shortened(str(value), SHOWN_MAX_CHARACTERS)
    return f"'{text}'" if quoted else text


def error_line(message: str) -> str:
    """What a front end prints or returns of an error: its message as one safe, bounded line."""
    return _shortened(message, LINE_MAX_CHARACTERS)


class AutodispatchError(Exception):
    """Base of the project's own errors: a message fit to show a user as one line.

    `text` is the same message as words as data (R30) where the error was raised with one
    (`said`), for a front end to render in its reader's language; `str(error)` is English."""

    text: "Text | None" = None

    @classmethod
    def said(cls, text: "Text", *args: Any, **kwargs: Any) -> Self:
        """The error of `text` (its English as `str()`); further arguments go to the constructor."""
        from autodispatch.i18n.render import render  # noqa: PLC0415 - the catalogue loads on first use

        error = cls(render(text, "en"), *args, **kwargs)
        error.text = text
        return error


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one field, located by tenant and invoice (R25)."""

    field: str
    message: str
    tenant_id: str | None = None
    invoice_id: str | None = None
    # The message as words as data (R30), for a reader's language; `message` is its English.
    text: "Text | None" = None

    @classmethod
    def said(
        cls, field: str, text: "Text", tenant_id: str | None = None, invoice_id: str | None = None
    ) -> "FieldIssue":
        from autodispatch.i18n.render import render  # noqa: PLC0415 - the catalogue loads on first use

        return cls(field, render(text, "en"), tenant_id, invoice_id, text=text)

    def located(self) -> "Text":
        """The issue as words as data: where it is (tenant, invoice, field) and what is wrong."""
        from autodispatch.models import text as words  # noqa: PLC0415 - errors is imported by every module

        where = []
        if self.tenant_id is not None:
            where.append(words.Text.of("issue.tenant", tenant=shown(self.tenant_id)))
        if self.invoice_id is not None:
            where.append(words.Text.of("issue.invoice", invoice=shown(self.invoice_id)))
        where.append(words.Text.of("issue.field", field=shown(self.field)))
        problem = self.text if self.text is not None else words.verbatim(one_line(self.message))
        return words.Text.of("issue.located", where=words.separated(*where, separator=", "), problem=problem)

    def __str__(self) -> str:
        where = []
        if self.tenant_id is not None:
            where.append(f"tenant {shown(self.tenant_id)}")
        if self.invoice_id is not None:
            where.append(f"invoice {shown(self.invoice_id)}")
        where.append(f"field {shown(self.field)}")
        return f"{', '.join(where)}: {one_line(self.message)}"


class InputError(AutodispatchError):
    """Input that breaks the scenario format or R2/R25; carries every issue found."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        from autodispatch.models.text import separated  # noqa: PLC0415 - errors is imported by every module

        self.issues = issues
        super().__init__("; ".join(str(issue) for issue in issues))
        self.text = separated(*(issue.located() for issue in issues))


class ImportConflict(InputError):
    """An import the invoices' state refuses now (nothing was written); a front end may answer
    409 Conflict."""


class InvoiceBusy(ImportConflict):
    """R23: a run is sending the invoice (or stopped while sending it), so it cannot be imported
    again now."""


class InvoiceSent(ImportConflict):
    """R5, R19: a SENT invoice's document is never replaced by other content (the same content
    again changes nothing)."""


class ActivationRefused(AutodispatchError):
    """R2: activation needs a source, a channel and a notification recipient; `issues` name the
    settings that are missing, for a front end to show next to their fields."""

    def __init__(self, message: str, issues: list[FieldIssue] | None = None) -> None:
        self.issues = issues or []
        super().__init__(message)


class NotFound(AutodispatchError):
    """An unknown tenant, invoice or run."""

    @classmethod
    def tenant(cls, tenant_id: str) -> Self:
        from autodispatch.models.text import Text  # noqa: PLC0415 - errors is imported by every module

        return cls.said(Text.of("not_found.tenant", tenant=shown(tenant_id)))

    @classmethod
    def invoice(cls, key: object) -> Self:
        from autodispatch.models.text import Text  # noqa: PLC0415 - errors is imported by every module

        return cls.said(Text.of("not_found.invoice", invoice=str(key)))

    @classmethod
    def run(cls, run_id: str) -> Self:
        from autodispatch.models.text import Text  # noqa: PLC0415 - errors is imported by every module

        return cls.said(Text.of("not_found.run", run=shown(run_id, quoted=False)))


class InvalidTransition(AutodispatchError):
    """A state change the rules do not allow (e.g. restoring automatic dispatch on a sent invoice);
    `reason` is why, without the action, for a caller that refuses a larger action for it."""

    reason: "Text | None" = None

    @classmethod
    def refused(cls, action: str, invoice: object, reason: "Text") -> Self:
        """`action` (`remove_auto`, `restore_auto`, `send`, `mark_sent`) refused on the invoice
        for `reason` (a `refusal.*` text)."""
        from autodispatch.models.text import Text  # noqa: PLC0415 - errors is imported by every module

        error = cls.said(Text.of(f"action.{action}", invoice=str(invoice), reason=reason))
        error.reason = reason
        return error


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


class NotificationsIncomplete(AutodispatchError):
    """Some tenants of a run were not notified after every retry (R21, R24): the run fails."""


class Throttled(TransientError):
    """The table refused a request for its capacity (throttling) after the SDK's own retries:
    nothing was written. An API client is asked to repeat the request later (429), never told
    the service failed."""


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


class AccountFault(PermanentRejection):
    """The email service will not send for the sender's account at all (suspended, sending paused,
    an unverified mail-from domain): no invoice's fault, so the chain does not move on to paper;
    email stops for the night and the operator is alerted. `text` names the cause (R30)."""


class RulesBroken(PermanentRejection):
    """The validation gate: a rendered e-invoice breaks its network's rules, so it never leaves by
    that route and the chain goes on (R12). `rules` keep every broken rule's id and text as data."""

    def __init__(self, rules: Sequence[BrokenRule]) -> None:
        from autodispatch.i18n.render import render  # noqa: PLC0415 - the catalogue loads on first use
        from autodispatch.models.text import Text, separated  # noqa: PLC0415 - errors is imported by every module

        self.rules = tuple(rules)
        # Our sentence in the reader's language names each rule by its id; the network's official
        # text is English and quoted as it is (a translation of it would no longer be the rule).
        quoted: Text = separated(
            *(
                Text.of("rules.rule", rule=rule.rule_id, text=" ".join(rule.text.split()))
                for rule in self.rules[:RULES_QUOTED]
            )
        )
        more = len(self.rules) - RULES_QUOTED
        if more > 0:
            quoted = Text.of("rules.more", rules=quoted, count=more)
        said = Text.of("rules.broken", rules=quoted)
        super().__init__(render(said, "en"))
        self.text = said


class ImportIncomplete(AutodispatchError):
    """A store failure stopped an import after its checks passed; its writes were undone (the
    message says so, and names anything that changed meanwhile and was kept, or that the next
    import finishes the undo). Importing the file again imports it."""
