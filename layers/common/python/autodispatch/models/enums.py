"""The closed vocabularies of SPEC.md; their values are the scenario format's strings."""

from enum import StrEnum


class Source(StrEnum):
    """Where an invoice came from (R3)."""

    CONTRACT_BILLING = "CONTRACT_BILLING"
    MANUAL = "MANUAL"
    REBILLING = "REBILLING"
    API = "API"


class Channel(StrEnum):
    """Delivery channels, declared in the fixed chain order of R12."""

    EINVOICE = "EINVOICE"
    EMAIL = "EMAIL"
    PRINT = "PRINT"


CHAIN_ORDER: tuple[Channel, ...] = (Channel.EINVOICE, Channel.EMAIL, Channel.PRINT)


class Timing(StrEnum):
    """Which date makes an invoice due (R6, R7)."""

    CREATION_DATE = "CREATION_DATE"
    INVOICE_DATE = "INVOICE_DATE"


class InvoiceStatus(StrEnum):
    """The invoice's own sending status (R5)."""

    UNSENT = "UNSENT"
    SENT = "SENT"


class AutoDispatchState(StrEnum):
    """The automatic-dispatch state shown in the open-invoices list (R19)."""

    PENDING = "PENDING"
    SENT = "SENT"
    IGNORED = "IGNORED"
    FAILED = "FAILED"
    REMOVED = "REMOVED"

    @property
    def is_final(self) -> bool:
        """SENT, IGNORED and FAILED are never taken again by a run (R9)."""
        return self in (AutoDispatchState.SENT, AutoDispatchState.IGNORED, AutoDispatchState.FAILED)


class DisplayState(StrEnum):
    """What the open-invoices list shows of an invoice (R19, R28): its automatic-dispatch state, a
    sent invoice told apart by who sent it (a run, the user by manual send, or the billing system
    that imported it as already sent)."""

    PENDING = "PENDING"
    SENT = "SENT"
    SENT_MANUALLY = "SENT_MANUALLY"
    IMPORTED_AS_SENT = "IMPORTED_AS_SENT"
    IGNORED = "IGNORED"
    FAILED = "FAILED"
    REMOVED = "REMOVED"


class UserAction(StrEnum):
    """The user's own actions on one invoice (R20, R22), named as the API's `actions` lists them."""

    REMOVE_AUTO = "remove_auto"
    RESTORE_AUTO = "restore_auto"
    SEND = "send"


class CustomerType(StrEnum):
    BUSINESS = "BUSINESS"
    CONSUMER = "CONSUMER"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "BANK_TRANSFER"
    DIRECT_PAYMENT = "DIRECT_PAYMENT"


class Language(StrEnum):
    FI = "fi"
    SV = "sv"
    EN = "en"


class DeliveryKind(StrEnum):
    """What a delivery carried (the run report's `deliveries[].kind`)."""

    INVOICE = "INVOICE"
    FACTORING = "FACTORING"
    DIRECT_PAYMENT_NOTICE = "DIRECT_PAYMENT_NOTICE"


class HistoryEventKind(StrEnum):
    """Every action of the automation recorded on an invoice (R19)."""

    QUEUED = "QUEUED"
    CHANNEL_TRIED = "CHANNEL_TRIED"
    CHANNEL_SKIPPED = "CHANNEL_SKIPPED"
    CHANNEL_REJECTED = "CHANNEL_REJECTED"
    SENT = "SENT"
    IGNORED = "IGNORED"
    FAILED = "FAILED"
    FACTORING_SENT = "FACTORING_SENT"
    FACTORING_FAILED = "FACTORING_FAILED"
    # The financier's copy was refused without doubt (throttled) and left to the batch's retry (R17, R24).
    FACTORING_DEFERRED = "FACTORING_DEFERRED"
    DIRECT_PAYMENT_NOTICE_SENT = "DIRECT_PAYMENT_NOTICE_SENT"
    DIRECT_PAYMENT_NOTICE_FAILED = "DIRECT_PAYMENT_NOTICE_FAILED"
    REMOVED_BY_USER = "REMOVED_BY_USER"
    TURNED_OFF_BY_ACTIVATION = "TURNED_OFF_BY_ACTIVATION"
    RESTORED_BY_USER = "RESTORED_BY_USER"
    SENT_MANUALLY = "SENT_MANUALLY"
    MANUAL_SEND_FAILED = "MANUAL_SEND_FAILED"  # a manual send that did not go through, with why (R22)
    # What the recipient's mail system did with a sent email (R26).
    EMAIL_DELIVERED = "EMAIL_DELIVERED"
    EMAIL_DELAYED = "EMAIL_DELAYED"
    EMAIL_SOFT_BOUNCED = "EMAIL_SOFT_BOUNCED"  # a temporary bounce: recorded only
    EMAIL_BOUNCED = "EMAIL_BOUNCED"  # for good: the chain goes on after EMAIL
    EMAIL_REJECTED = "EMAIL_REJECTED"  # SES did not send it: as a bounce
    EMAIL_COMPLAINED = "EMAIL_COMPLAINED"
    FACTORING_BOUNCED = "FACTORING_BOUNCED"  # the financier's copy (R17): recorded and reported
