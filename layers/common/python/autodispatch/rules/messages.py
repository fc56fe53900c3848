"""The one-line messages the open-invoices list shows for states the user or the import chose (R19)."""

IMPORTED_SENT_MESSAGE = "Imported as already sent; automatic dispatch does not apply"
TURNED_OFF_MESSAGE = "Automatic dispatch is turned off for this invoice"
BEFORE_ACTIVATION_MESSAGE = (
    "Created before automatic dispatch was activated; add automatic dispatch to the invoice to send it"
)
REMOVED_MESSAGE = "Automatic dispatch removed by the user"
SENT_MANUALLY_MESSAGE = "Sent manually"
