"""The one-line messages the open-invoices list shows for states the user or the import chose (R19),
and the history entries of the user's own actions (R20, R22), as message codes."""

from autodispatch.models.text import Text

IMPORTED_SENT_MESSAGE = Text.of("state.imported_sent")
TURNED_OFF_MESSAGE = Text.of("state.turned_off")
BEFORE_ACTIVATION_MESSAGE = Text.of("state.before_activation")
REMOVED_MESSAGE = Text.of("state.removed")
SENT_MANUALLY_MESSAGE = Text.of("state.sent_manually")

REMOVED_DETAIL = Text.of("history.removed")
RESTORED_DETAIL = Text.of("history.restored")
REMOVED_FOR_MANUAL_SEND = Text.of("history.removed_for_manual_send")
RESTORED_AFTER_FAILED_SEND = Text.of("history.restored_after_failed_send")
