"""Every message code and its English text, the message id of the gettext catalogue (R30).

A stored `Text` names its code; the code stays when the English words change, so texts stored
by any version keep rendering. `pybabel extract` reads the `N_` marks below (see `Makefile`,
target `catalogue`); translations live in `locales/<lang>/LC_MESSAGES/autodispatch.po`.
Parameters are gettext's python-format names (`%(channel)s`).
"""

from collections.abc import Mapping
from typing import Final


def N_(message: str) -> str:
    """Marks a message id for extraction; translation happens when the text is rendered."""
    return message


MESSAGES: Final[Mapping[str, str]] = {
    # The channels as the settings name them (the glossary), in running text and in "by ..." phrases.
    "channel.EINVOICE": N_("E-invoice to a business or consumer"),
    "channel.EMAIL": N_("Email invoice"),
    "channel.PRINT": N_("Print service"),
    "name.EINVOICE": N_("e-invoice"),
    "name.EMAIL": N_("email"),
    "name.PRINT": N_("print service"),
    "by.EINVOICE": N_("by e-invoice"),
    "by.EMAIL": N_("by email"),
    "by.PRINT": N_("by print service"),
    # The delivery routes of the channels (models/routes.py: each route's `label`, its English).
    "route.FINVOICE": N_("Finvoice 3.0"),
    "route.PEPPOL": N_("Peppol BIS Billing 3.0"),
    "route.EMAIL": N_("email"),
    "route.PRINT": N_("print letter"),
    # The sources and the settings' headings (the glossary).
    "source.CONTRACT_BILLING": N_("Contract billing"),
    "source.MANUAL": N_("Invoices created by the user"),
    "source.REBILLING": N_("Invoices re-invoiced from a purchase invoice"),
    "source.API": N_("Invoices created through the software interface"),
    "setting.sources": N_("Send automatically invoices whose source is"),
    "setting.channels": N_("Use only the following invoice channels"),
    "setting.timing": N_("Dispatch time"),
    "setting.notify_email": N_("Notification email"),
    "setting.notify_phone": N_("Notification phone"),
    "setting.consumer_einvoicing": N_("Consumer e-invoicing"),
    "setting.language": N_("Notification language"),
    # R19: the headlines of the hover text, exactly the guide's words in Swedish.
    "headline.IGNORED": N_("Automatic dispatch ignored"),
    "headline.FAILED": N_("Automatic dispatch failed"),
    "headline_reason": N_("%(headline)s: %(reason)s"),
    "ignored.details": N_("%(headline)s: %(reason)s. Nothing was sent; send the invoice manually."),
    "ignored.default": N_("the invoice cannot be dispatched automatically"),
    "failed.first_line": N_("%(headline)s: %(reason)s."),
    "failed.advice": N_("Correct the invoice or the customer's details and send the invoice manually."),
    "failed.default": N_("no channel could deliver the invoice"),
    "failed.stopped": N_("%(reasons)s; %(channel)s not enabled"),
    "failed.lead": N_("%(lead)s: %(reason)s"),
    # R16: one step of the explanation per channel considered.
    "step": N_("%(position)s. %(channel)s (%(verdict)s): %(reason)s"),
    "verdict.NOT_ENABLED": N_("not enabled"),
    "verdict.UNUSABLE": N_("cannot be used"),
    "verdict.REJECTED": N_("rejected"),
    "verdict.CHOSEN": N_("accepted"),
    "skipped": N_("%(verdict)s: %(reason)s"),
    # R16: sent.
    "sent.INVOICE": N_("Sent automatically %(by)s"),
    "sent.DIRECT_PAYMENT_NOTICE": N_("Direct-payment pre-notification sent automatically %(by)s"),
    "sent.after_unusable": N_("%(message)s after %(count)s unusable channel(s)"),
    "sent.details.INVOICE": N_("Invoice sent automatically %(by)s."),
    "sent.details.DIRECT_PAYMENT_NOTICE": N_("Direct-payment pre-notification sent automatically %(by)s."),
    # R11-R15: why a channel cannot be used, in full and in a few words for the one-line message.
    "reason.usable": N_("the channel can be used"),
    "reason.not_enabled": N_("not enabled in the setting “%(setting)s”"),
    "reason.chain_stops": N_("not enabled in the setting “%(setting)s”, so the chain stops"),
    "reason.own_channel_not_enabled": N_(
        "the invoice's delivery channel “%(channel)s” is not enabled in the setting “%(setting)s”"
    ),
    "reason.rejected_by": N_("the %(channel)s rejected it"),
    "reason.not_again_after_email": N_("not tried again: the chain had gone on to the email"),
    "reason.email_bounced": N_("the email bounced"),
    "reason.einvoice_address_invalid": N_(
        "the customer's e-invoice address is neither an OVT code (0037 + business ID) nor an IBAN"
    ),
    "summary.einvoice_address_invalid": N_("invalid e-invoice address"),
    "reason.einvoice_operator_invalid": N_(
        "the customer's e-invoice operator is neither an OVT code nor a BIC-like intermediator code"
    ),
    "summary.einvoice_operator_invalid": N_("invalid e-invoice operator"),
    "reason.address_incomplete_einvoice": N_(
        "the customer's address details are incomplete for an e-invoice (missing: %(missing)s)"
    ),
    "summary.address_incomplete_einvoice": N_("incomplete address for an e-invoice"),
    "reason.address_incomplete_letter": N_(
        "the customer's address details are incomplete for a letter (missing: %(missing)s)"
    ),
    "summary.address_incomplete_letter": N_("incomplete postal address"),
    "part.name": N_("name"),
    "part.postal_address": N_("postal address"),
    "part.street": N_("street"),
    "part.postcode": N_("postcode"),
    "part.town": N_("town"),
    "part.country": N_("country"),
    "reason.consumer_einvoicing_disabled": N_("consumer e-invoicing is not enabled in the settings"),
    "summary.consumer_einvoicing_disabled": N_("consumer e-invoicing not enabled"),
    "reason.no_einvoice_consent": N_(
        "the consumer has not accepted e-invoices from this company in their online bank"
    ),
    "summary.no_einvoice_consent": N_("no e-invoice consent"),
    "reason.no_einvoice_address": N_("the customer has no e-invoice address and operator"),
    "summary.no_einvoice_address": N_("no e-invoice address"),
    "reason.no_email_address": N_("the customer has no email address"),
    "summary.no_email_address": N_("no email address"),
    "reason.email_invalid": N_("the customer's email address is not valid"),
    "summary.email_invalid": N_("invalid email address"),
    "reason.email_needs_smtputf8": N_(
        "the customer's email address has non-ASCII characters before the @ (needs SMTPUTF8, which "
        "this sender does not use)"
    ),
    "summary.email_needs_smtputf8": N_("email address needs SMTPUTF8"),
    # R12: why a channel refused the invoice for good (autodispatch.channels); a foreign diagnostic
    # (the service's error code, an HTTP status, an error type) is quoted as a parameter.
    "reason.no_postal_address": N_("the customer's postal address is missing"),
    "reason.not_peppol_participant": N_("the customer's e-invoice address is not a Peppol participant ID"),
    "reason.factoring_no_email": N_("the factoring agreement has no email address"),
    "reason.factoring_channel": N_("a factoring message does not go %(by)s"),
    "reason.document_not_built": N_("the %(document)s could not be built from the invoice data (%(error)s)"),
    "document.INVOICE": N_("invoice %(by)s"),
    "document.FACTORING": N_("factoring message %(by)s"),
    "document.DIRECT_PAYMENT_NOTICE": N_("direct-payment pre-notification %(by)s"),
    "reason.service_refused": N_("the %(service)s refused the message (HTTP %(status)s)"),
    "reason.service_answered": N_("the %(service)s answered HTTP %(status)s"),
    "reason.service_unreachable": N_("the %(service)s could not be reached (%(cause)s)"),
    "reason.service_no_answer": N_("no answer from the %(service)s after sending"),
    "reason.outbox": N_("the outbox %(folder)s could not be written (%(error)s)"),
    "reason.api_key": N_("the API key could not be read (%(error)s)"),
    "service.any": N_("service"),
    "service.PEPPOL": N_("Peppol access point"),
    "service.FINVOICE": N_("e-invoice operator"),
    "service.EMAIL": N_("email service"),
    "service.PRINT": N_("print service"),
    "reason.email_rejected": N_("the email service rejected the message (%(error)s)"),
    "reason.email_throttled": N_("the email service is throttling sends (%(error)s)"),
    "reason.email_in_doubt": N_("the email service failed and may have accepted the message (%(error)s)"),
    "reason.email_unreachable": N_("the email service could not be reached"),
    "reason.email_no_answer": N_("no answer from the email service after sending"),
    "reason.sms_rejected": N_("the SMS service rejected the message (%(error)s)"),
    "reason.sms_throttled": N_("the SMS service is throttling sends (%(error)s)"),
    "reason.sms_in_doubt": N_("the SMS service failed and may have sent the message (%(error)s)"),
    # R14, R15: a text the document's format cannot carry safely (autodispatch.mime, channels).
    "unsafe.header_line_break": N_("%(what)s contains a line break, which an email header cannot carry"),
    "unsafe.header": N_("a header of the email cannot be written safely (%(cause)s)"),
    "unsafe.extra_header": N_("the email would carry a header it was not given"),
    "unsafe.email_address": N_("%(what)s is not a valid email address (%(cause)s)"),
    "unsafe.email_smtputf8": N_(
        "%(what)s has non-ASCII characters before the @ (needs SMTPUTF8, which this sender does not use)"
    ),
    "unsafe.address_header": N_("%(what)s cannot be put in an email header (%(cause)s)"),
    "unsafe.notification_headers": N_("the notification cannot be put in email headers (%(cause)s)"),
    "unsafe.xml_character": N_(
        "the e-invoice element “%(element)s” contains a character the format cannot carry (U+%(codepoint)s)"
    ),
    "unsafe.length": N_(
        "the e-invoice element “%(element)s” must be %(low)s–%(high)s characters long, not %(length)s"
    ),
    "unsafe.too_short": N_("the e-invoice element “%(element)s” must be at least %(low)s characters long"),
    "unsafe.too_long": N_(
        "the e-invoice element “%(element)s” is too long (at most %(count)s × %(high)s characters)"
    ),
    "unsafe.text_too_short": N_("the text %(text)s is shorter than %(low)s characters"),
    "unsafe.quantity": N_("a row quantity is longer than the e-invoice's 14 characters"),
    "header.subject": N_("the subject"),
    "header.sender_address": N_("the sender address"),
    "header.reply_address": N_("the reply address"),
    "header.customer_email": N_("the customer's email address"),
    "header.financier_email": N_("the financier's email address"),
    "header.notification_address": N_("the notification address"),
    "header.name_in": N_("the name in %(what)s"),
    "header.named": N_("the header %(name)s"),
    # R18: direct payment.
    "reason.direct_payment_to_business": N_(
        "the payment method is direct payment, a consumer payment method, but the customer is a "
        "business; correct the payment method or the customer type"
    ),
    "reason.direct_payment_channel": N_(
        "a direct-payment invoice goes as a pre-notification by e-invoice or print service"
    ),
    "reason.direct_payment_needs_both": N_(
        "with consumer e-invoicing, the direct-payment pre-notification is sent automatically only "
        "when both “%(einvoice)s” and “%(print)s” are enabled in the setting “%(setting)s” "
        "(%(missing)s not enabled)"
    ),
    "reason.direct_payment_needs_print": N_(
        "without consumer e-invoicing, the direct-payment pre-notification goes by print service, "
        "and “%(print)s” is not enabled in the setting “%(setting)s”"
    ),
    "reason.direct_payment_undelivered": N_(
        "the direct-payment pre-notification could not be delivered by e-invoice or print"
    ),
    # R23, R24, R25: outcomes a run could not know or did not reach.
    "reason.in_doubt": N_(
        "sending %(by)s was cut off (a run stopped, or the service did not answer); it is unknown "
        "whether the invoice reached the customer"
    ),
    "reason.no_clear_answer": N_(
        "sending %(by)s got no clear answer (%(cause)s); it is unknown whether the invoice reached "
        "the customer"
    ),
    "reason.retry_rejected": N_(
        "an earlier attempt %(by)s had an unknown outcome and the retry was rejected (%(rejection)s); "
        "it is unknown whether the invoice reached the customer"
    ),
    "reason.unexpected": N_(
        "an unexpected error (%(error)s) stopped the dispatch of this invoice; it may or may not have "
        "reached the customer"
    ),
    "reason.not_sent_again": N_("%(what)s, so it is not sent again automatically"),
    "unknown_outcome.details": N_(
        "%(headline)s: %(reason)s. Check with the customer and send manually if needed."
    ),
    "reason.unfinished": N_(
        "the run could not dispatch this invoice before it ended (%(error)s); nothing was sent"
    ),
    "unfinished.details": N_("%(headline)s: %(reason)s. Send the invoice manually."),
    # The email service would not send for the sender's account: email stops for the night.
    "reason.email_account": N_(
        "the email service would not send for the company's account (%(cause)s); nothing was sent, "
        "and the operator has been alerted"
    ),
    "email_account.details": N_(
        "%(headline)s: %(reason)s. The invoice was not sent on paper instead. Send it manually once "
        "email works again."
    ),
    "email_account.suspended": N_("sending is suspended for the sender's account"),
    "email_account.paused": N_("sending is paused for the sender's account"),
    "email_account.mail_from_unverified": N_("the sender's mail-from domain is not verified"),
    "invalid.message": N_("%(headline)s: invalid invoice data: %(problem)s"),
    "invalid.details": N_(
        "%(headline)s: the invoice data is invalid: %(problem)s. Correct it and send manually."
    ),
    # R2, R5, R20, R22: states the user or the import chose.
    "state.imported_sent": N_("Imported as already sent; automatic dispatch does not apply"),
    "state.turned_off": N_("Automatic dispatch is turned off for this invoice"),
    "state.before_activation": N_(
        "Created before automatic dispatch was activated; add automatic dispatch to the invoice to send it"
    ),
    "state.removed": N_("Automatic dispatch removed by the user"),
    "state.sent_manually": N_("Sent manually"),
    "history.queued": N_("taken by the run of %(date)s"),
    "history.removed": N_("automatic dispatch removed by the user"),
    "history.restored": N_("automatic dispatch added back by the user"),
    "history.removed_for_manual_send": N_(
        "automatic dispatch removed so that a run cannot send it while it is sent manually"
    ),
    "history.restored_after_failed_send": N_(
        "automatic dispatch added back: the manual send did not go through"
    ),
    "history.sent_manually": N_("sent manually %(by)s"),
    "manual.in_doubt": N_(
        "It is unknown whether invoice %(invoice)s reached the customer (%(error)s); check before "
        "sending it again"
    ),
    "manual.refused_channel": N_("Cannot send invoice %(invoice)s %(by)s: %(reason)s"),
    "manual.channel_rejected": N_(
        "Cannot send invoice %(invoice)s: the %(channel)s rejected it: %(rejection)s"
    ),
    "manual.note": N_("%(channel)s (%(verdict)s): %(reason)s"),
    "manual.chain_refused": N_(
        "Cannot send invoice %(invoice)s through the channels of the settings: %(reason)s; correct the "
        "invoice or choose another channel"
    ),
    # R20, R22: the user's actions the server refuses, and why (rules.user_actions).
    "action.remove_auto": N_("Cannot remove automatic dispatch from invoice %(invoice)s: %(reason)s"),
    "action.restore_auto": N_("Cannot add automatic dispatch back to invoice %(invoice)s: %(reason)s"),
    "action.send": N_("Cannot send invoice %(invoice)s manually: %(reason)s"),
    "refusal.already_sent": N_("it is already sent"),
    "refusal.run_busy": N_("a run is dispatching it now"),
    "refusal.already_removed": N_("its automatic dispatch is already removed"),
    "refusal.failed": N_("its automatic dispatch failed; send it manually"),
    "refusal.ignored": N_("its automatic dispatch was ignored; send it manually"),
    "refusal.pending": N_("its automatic dispatch is on"),
    "refusal.changed": N_("it was changed meanwhile; look at it again"),
    "busy.throttled": N_("The service is busy right now; repeat the request in a few seconds"),
    "action.mark_sent": N_("Cannot mark invoice %(invoice)s sent: %(reason)s"),
    # R17: the factoring message.
    "factoring.sent": N_("factoring message sent to %(financier)s"),
    "factoring.failed": N_("factoring message to %(financier)s failed: %(error)s"),
    "factoring.in_doubt": N_(
        "factoring message to %(financier)s may or may not have been sent: a run stopped while sending it"
    ),
    # R17, R23: every attempt at the copy was throttled, the last one too (its reason says by what).
    "factoring.busy": N_(
        "factoring message to %(financier)s was not sent: the service was busy (%(reason)s); send it manually"
    ),
    "factoring.sent_but": N_("Sent, but the %(reason)s"),
    "factoring.copy_bounced": N_("Sent, but the factoring copy: %(detail)s"),
    # R26: what the recipient's mail system did.
    "email.delivered": N_("the email to %(to)s was delivered to the recipient's mail server"),
    "email.delayed": N_("the email to %(to)s is delayed (%(cause)s); the email service keeps trying"),
    "email.bounced": N_("the email to %(to)s bounced: %(diagnostic)s"),
    "email.soft_bounced": N_("the email to %(to)s bounced temporarily (%(kind)s): %(diagnostic)s"),
    "email.complained": N_("the recipient of the email to %(to)s marked it as spam"),
    "email.rejected": N_("the email service did not send the email to %(to)s: %(cause)s"),
    "email.the_recipient": N_("the recipient"),
    "email.no_diagnostic": N_("no diagnostic given"),
    "email.no_cause": N_("no reason given"),
    "email.returned": N_("%(reason)s; the next run sends the invoice %(by)s"),
    # R27: what the next night does with a pending invoice.
    "preview.sends": N_("The run of %(date)s sends it %(by)s"),
    "preview.not_taken": N_("No run takes it: %(reason)s"),
    "not_taken.TENANT_INACTIVE": N_("automatic dispatch is not active for the tenant"),
    "not_taken.SOURCE_NOT_ENABLED": N_(
        "the invoice's source “%(source)s” is not chosen in the setting “%(setting)s”"
    ),
    "not_taken.ALREADY_SENT": N_("the invoice is already sent"),
    "not_taken.REMOVED": N_("automatic dispatch was removed from the invoice"),
    "not_taken.ALREADY_HANDLED": N_("automatic dispatch already ended for the invoice"),
    "not_taken.NOT_DUE": N_("the invoice is not due yet"),
    # R2: activation; R1: settings.
    "activation.refused": N_("Automatic dispatch cannot be activated: %(issues)s"),
    "activation.no_source": N_("choose at least one invoice source"),
    "activation.no_channel": N_("choose at least one delivery channel"),
    "activation.no_recipient": N_("give a notification email or phone"),
    "field_issue": N_("%(field)s: %(message)s"),
    "settings.phone_invalid": N_("not a valid phone number (for example 040 123 4567 or +358 40 123 4567)"),
    "settings.email_invalid": N_("not a valid email address"),
    # R25, R27: what is wrong with a field of a request, a scenario or the settings (models/invalid.py).
    "invalid.field": N_("field '%(field)s': %(problem)s"),
    "invalid.missing": N_("is required"),
    "invalid.unknown_field": N_("is not a field of this body"),
    "invalid.text": N_("must be text"),
    "invalid.whole_number": N_("must be a whole number"),
    "invalid.number": N_("must be a number"),
    "invalid.boolean": N_("must be true or false"),
    "invalid.date": N_("must be a date such as 2026-03-10"),
    "invalid.datetime": N_("must be a date and time with its time zone, such as 2026-03-10T08:00:00+02:00"),
    "invalid.one_of": N_("must be one of %(expected)s"),
    "invalid.list": N_("must be a list"),
    "invalid.object": N_("must be a JSON object"),
    "invalid.json": N_("is not valid JSON"),
    "invalid.text_too_short": N_("must have at least %(limit)s character(s)"),
    "invalid.text_too_long": N_("must have at most %(limit)s character(s)"),
    "invalid.too_few": N_("must have at least %(limit)s item(s)"),
    "invalid.too_many": N_("must have at most %(limit)s item(s)"),
    "invalid.greater_than": N_("must be greater than %(limit)s"),
    "invalid.at_least": N_("must be at least %(limit)s"),
    "invalid.less_than": N_("must be less than %(limit)s"),
    "invalid.at_most": N_("must be at most %(limit)s"),
    "invalid.pattern": N_("does not have the expected form"),
    "invalid.value": N_("is not a valid value"),
    "invalid.control_character": N_("contains a control character (%(character)s)"),
    "invalid.blank": N_("must not be blank"),
    "invalid.empty": N_("must not be empty"),
    "invalid.business_id": N_("is not a valid Finnish business ID (Y-tunnus)"),
    "invalid.iban": N_("is not a valid IBAN"),
    "invalid.bic": N_("is not a valid BIC"),
    "invalid.encoded_word": N_("must not contain '=?' (an RFC 2047 encoded word)"),
    "invalid.email": N_("is not a valid email address"),
    "invalid.email_smtputf8": N_(
        "has non-ASCII characters before the @, which needs SMTPUTF8: email cannot be sent to or "
        "answered at it"
    ),
    "invalid.phone": N_("is not a valid phone number (e.g. 040 123 4567 or +358401234567)"),
    "invalid.rf_reference": N_("is not a valid RF creditor reference (ISO 11649)"),
    "invalid.payment_reference": N_("is not a valid Finnish payment reference or RF creditor reference"),
    "invalid.country": N_("must be an existing ISO 3166 alpha-2 country code such as FI"),
    "invalid.currency": N_("must be an existing ISO 4217 currency code such as EUR"),
    "invalid.id_too_long": N_("is longer than %(limit)s bytes of UTF-8"),
    "invalid.id_not_nfkc": N_(
        "is not in Unicode normal form NFKC (write composed characters, e.g. 'é' not 'e' + U+0301)"
    ),
    "invalid.id_characters": N_(
        "may hold only letters, digits and %(punctuation)s and must start with a letter or digit "
        "(found %(character)s)"
    ),
    "invalid.date_range": N_("must be between %(first)s and %(last)s"),
    "invalid.iso_not_number": N_("must be an ISO 8601 string, not a number"),
    "invalid.einvoice_address": N_("is not an e-invoice address (OVT/EDI code or IBAN, 4-35 characters)"),
    "invalid.decimal_number": N_('must be a decimal string such as "4.50", not a JSON number'),
    "invalid.decimal_text": N_('must be a decimal string of ASCII digits such as "-4.50"'),
    "invalid.source_twice": N_("sources lists a source twice"),
    "invalid.channel_twice": N_("channels lists a channel twice"),
    "invalid.factoring_pair": N_("einvoice_address and einvoice_operator go together"),
    "invalid.factoring_destination": N_("needs einvoice_address + einvoice_operator or email"),
    "invalid.amount_too_large": N_(
        "a line or total reaches %(limit)s: amounts have at most %(digits)s digits before the decimal point"
    ),
    "invalid.due_before_invoice_date": N_("due_date %(due)s is before invoice_date %(invoice_date)s"),
    "invalid.total_mismatch": N_("total %(total)s does not add up: the lines give %(gross)s"),
    # R25: where a problem is (an import names tenant, invoice and field).
    "issue.tenant": N_("tenant %(tenant)s"),
    "issue.invoice": N_("invoice %(invoice)s"),
    "issue.field": N_("field %(field)s"),
    "issue.located": N_("%(where)s: %(problem)s"),
    # R27: the API's answers to a request it cannot take.
    "request.media_type": N_("the body must be UTF-8 JSON sent as %(expected)s, not “%(given)s”"),
    "request.no_media_type": N_(
        "the body must be UTF-8 JSON sent as %(expected)s; no Content-Type was given"
    ),
    "request.not_utf8": N_("is not valid UTF-8"),
    "request.too_deep": N_("nests deeper than %(limit)s levels (line %(line)s)"),
    "request.number_too_long": N_("is not valid JSON: a number has more digits than the parser takes"),
    "request.method_not_allowed": N_("%(method)s is not a method of %(path)s; it takes %(allowed)s"),
    "request.no_route": N_("no route %(method)s %(path)s"),
    "request.unauthenticated": N_("a valid bearer token is required"),
    "request.forbidden": N_("this token may not act on the tenant or route"),
    "request.internal": N_("internal error; the request may be repeated"),
    "request.path_mismatch": N_("%(body)s in the body differs from %(path)s in the path"),
    "request.cursor": N_("is not a cursor this tenant's list returned"),
    "not_found.tenant": N_("Unknown tenant %(tenant)s"),
    "not_found.tenant_invalid": N_("Tenant %(tenant)s has an invalid stored document; import it again"),
    "not_found.invoice": N_("Unknown invoice %(invoice)s"),
    "not_found.run": N_("Unknown run %(run)s"),
    "run_date.future": N_("the night of %(night)s has not come (today is %(today)s)"),
    "settings.nothing_to_change": N_("nothing to change: give at least one setting option"),
    "settings.active_must_allow": N_(
        "Tenant %(tenant)s is active, and an active tenant's settings must allow automatic dispatch: "
        "%(problems)s (deactivate it first to change that)"
    ),
    "activation.refused_tenant": N_("Cannot activate automatic dispatch of %(tenant)s: %(issues)s"),
    "document.too_deep": N_("%(source)s nests deeper than %(limit)s levels (line %(line)s)"),
    "document.not_json": N_("%(source)s is not valid JSON: %(error)s"),
    "document.too_many": N_("holds %(count)s records; at most %(limit)s are allowed"),
    "scenario.tenant_twice": N_("appears twice in the scenario"),
    "scenario.no_such_tenant": N_("names no tenant of the scenario"),
    "scenario.invoice_twice": N_("appears twice for this tenant"),
    "scenario.not_object": N_("a scenario is a JSON object with tenants and invoices"),
    "import.busy": N_(
        "a run is sending this invoice (or stopped while sending it); import it again after that run "
        "has finished"
    ),
    "import.sent_in_run": N_(
        "a run has sent this invoice and is still finishing it; import it again after that run has finished"
    ),
    "import.sent": N_(
        "the invoice was sent with other content and the sent document is kept as it is; "
        "send a credit note and a new invoice (a new invoice_id) instead"
    ),
    "import.active_must_allow": N_(
        "a tenant imported as active must be one that could be activated: %(problem)s"
    ),
    # An import a store failure stopped; its writes were undone (store.dynamodb.journal).
    "import.lease_lost": N_(
        "Import stopped: it ran past its time limit and another import took it over to undo it; "
        "import the file again"
    ),
    "import.not_committed": N_(
        "Import not committed: it ran past its time limit and another import undid it; import the file again"
    ),
    "import.not_started": N_("Import failed (%(cause)s); nothing was written; import the file again"),
    "import.undo_failed": N_(
        "Import failed (%(cause)s) and undoing its writes failed too (%(undo)s); the next import "
        "finishes undoing them before it writes anything"
    ),
    "import.partly_kept": N_(
        "Import failed (%(cause)s); its writes were undone except on what changed meanwhile and was "
        "kept as it is: %(kept)s; import the file again"
    ),
    "import.undone": N_(
        "Import failed (%(cause)s); nothing was imported (every write was undone); import the file again"
    ),
    # R12: the e-invoice network's rules a document breaks (the official texts are English, quoted).
    "rules.broken": N_("the e-invoice breaks %(rules)s"),
    "rules.rule": N_("%(rule)s: %(text)s"),
    "rules.more": N_("%(rules)s (and %(count)s more rules)"),
    # R14, R15: a printed text with a character no embedded font has (models/printable.py).
    "field.unprintable": N_(
        "contains the character %(character)s (U+%(codepoint)s), which the invoice documents cannot print"
    ),
    # R21: the tenant's notification.
    "notify.title": N_("Automatic dispatch"),
    "notify.invoice": N_("Invoice"),
    "notify.failed": N_("%(count)s failed"),
    "notify.ignored": N_("%(count)s ignored"),
    "notify.follow_ups": N_("%(count)s follow-up message(s) failed"),
    "notify.subject": N_("%(title)s %(date)s (%(tenant)s): %(counts)s"),
    "notify.intro": N_("Automatic dispatch of the night %(date)s could not send every invoice."),
    "notify.advice": N_(
        "Correct each invoice or customer and send it manually; automatic dispatch does not retry them."
    ),
    "notify.sms": N_("%(subject)s. Invoices: %(numbers)s. Details by email or in the invoice list."),
    "notify.state.FAILED": N_("FAILED"),
    "notify.state.IGNORED": N_("IGNORED"),
    "notify.state.SENT": N_("SENT, follow-up failed"),
    # The operator CLI's headings, values and result lines (R30), the page's words where it has them.
    "cli.state.PENDING": N_("Pending"),
    "cli.state.SENT": N_("Sent"),
    "cli.state.IGNORED": N_("Ignored"),
    "cli.state.FAILED": N_("Failed"),
    "cli.state.REMOVED": N_("Removed"),
    "cli.status.UNSENT": N_("Unsent"),
    "cli.status.SENT": N_("Sent"),
    "cli.event.QUEUED": N_("Queued for the night's dispatch"),
    "cli.event.CHANNEL_TRIED": N_("Channel tried"),
    "cli.event.CHANNEL_SKIPPED": N_("Channel skipped"),
    "cli.event.CHANNEL_REJECTED": N_("Channel refused the invoice"),
    "cli.event.SENT": N_("Sent by automatic dispatch"),
    "cli.event.IGNORED": N_("Automatic dispatch ignored"),
    "cli.event.FAILED": N_("Automatic dispatch failed"),
    "cli.event.FACTORING_SENT": N_("Factoring message sent"),
    "cli.event.FACTORING_FAILED": N_("Factoring message failed"),
    "cli.event.FACTORING_DEFERRED": N_("Factoring message deferred: the service was busy"),
    "cli.event.DIRECT_PAYMENT_NOTICE_SENT": N_("Direct-payment pre-notification sent"),
    "cli.event.DIRECT_PAYMENT_NOTICE_FAILED": N_("Direct-payment pre-notification failed"),
    "cli.event.REMOVED_BY_USER": N_("Automatic dispatch removed by the user"),
    "cli.event.TURNED_OFF_BY_ACTIVATION": N_("Left out of automatic dispatch at activation"),
    "cli.event.RESTORED_BY_USER": N_("Automatic dispatch restored by the user"),
    "cli.event.SENT_MANUALLY": N_("Sent manually"),
    "cli.event.MANUAL_SEND_FAILED": N_("Manual send failed"),
    "cli.event.EMAIL_DELIVERED": N_("Email delivered"),
    "cli.event.EMAIL_DELAYED": N_("Email delayed"),
    "cli.event.EMAIL_SOFT_BOUNCED": N_("Email bounced temporarily"),
    "cli.event.EMAIL_BOUNCED": N_("Email bounced"),
    "cli.event.EMAIL_REJECTED": N_("Email not sent"),
    "cli.event.EMAIL_COMPLAINED": N_("Recipient marked the email as spam"),
    "cli.event.FACTORING_BOUNCED": N_("Factoring message bounced"),
    "cli.column.invoice": N_("Invoice"),
    "cli.column.number": N_("Number"),
    "cli.column.status": N_("Status"),
    "cli.column.state": N_("Automatic dispatch"),
    "cli.column.channel": N_("Invoice channel"),
    "cli.column.sent_on": N_("Sent on"),
    "cli.column.message": N_("Message"),
    "cli.column.next_night": N_("Next night"),
    "cli.column.at": N_("Time"),
    "cli.column.event": N_("Event"),
    "cli.column.detail": N_("Details"),
    "cli.column.route": N_("Route"),
    "cli.column.run": N_("Run"),
    "cli.column.source": N_("Source"),
    "cli.column.created": N_("Created"),
    "cli.column.invoice_date": N_("Invoice date"),
    "cli.column.delivery_channel": N_("Delivery method"),
    "cli.column.total": N_("Total"),
    "cli.title.invoices": N_("Invoices of %(tenant)s"),
    "cli.title.invoices_in_state": N_("Invoices of %(tenant)s, automatic dispatch: %(state)s"),
    "cli.title.invoice": N_("Invoice %(invoice)s"),
    "cli.title.explanation": N_("Explanation"),
    "cli.title.history": N_("History"),
    "cli.no_invoices": N_("No invoices."),
    "cli.imported": N_("Imported %(tenants)s tenant(s) and %(invoices)s invoice(s) from %(file)s."),
    "cli.invoice_state": N_("Invoice %(invoice)s, automatic dispatch: %(state)s"),
    "cli.passed_over": N_("%(channel)s passed over: %(reason)s"),
    "cli.sent_manually": N_("Sent invoice %(invoice)s manually %(by)s (message id %(message_id)s)."),
    "cli.factoring": N_("Factoring: %(text)s"),
    # The operator CLI's runs, settings, local run summary and AWS errors (R30).
    "cli.run_status.RUNNING": N_("Running"),
    "cli.run_status.SUCCEEDED": N_("Succeeded"),
    "cli.run_status.FAILED": N_("Failed"),
    "cli.run_status.TIMED_OUT": N_("Timed out"),
    "cli.run_status.ABORTED": N_("Aborted"),
    "cli.run_status.PENDING_REDRIVE": N_("Waiting to be run again"),
    "cli.column.run_date": N_("Night"),
    "cli.column.started": N_("Started"),
    "cli.column.run_status": N_("Run status"),
    "cli.column.execution": N_("Execution"),
    "cli.column.selected": N_("Invoices selected"),
    "cli.column.sent": N_("Invoices sent"),
    "cli.column.ignored": N_("Invoices ignored"),
    "cli.column.failed": N_("Invoices failed"),
    "cli.follow_ups_failed": N_("(+%(count)s factoring)"),
    "cli.title.run": N_("Run"),
    "cli.title.runs": N_("Runs"),
    "cli.title.run_issues": N_("Invoices the run could not send"),
    "cli.no_runs": N_("No runs yet."),
    "cli.run_started": N_("Started run %(run)s for the night of %(date)s."),
    "cli.run_waiting": N_("Waiting for the run…"),
    "cli.run_is": N_("Run: %(status)s (%(seconds)s s)"),
    "cli.stopped_waiting": N_("Stopped waiting; the run goes on: %(command)s"),
    "cli.run_not_ended": N_("the run did not end within %(seconds)s s"),
    "cli.run_failed": N_("The run failed: %(reason)s"),
    "cli.run_failed.TransientError": N_("a temporary failure lasted through every retry of a step"),
    "cli.run_failed.ConcurrentUpdate": N_("another writer changed the same data at the same time"),
    "cli.execution_line": N_("Execution: %(arn)s"),
    "cli.console_line": N_("Console: %(url)s"),
    "cli.title.settings": N_("Automatic dispatch of %(tenant)s (%(name)s)"),
    "cli.column.setting": N_("Setting"),
    "cli.column.value": N_("Value"),
    "cli.setting.active": N_("Automatic dispatch on"),
    "cli.setting.activated_at": N_("Activated"),
    "cli.setting.can_activate": N_("Can be activated"),
    "cli.yes": N_("yes"),
    "cli.no": N_("no"),
    "cli.no_because": N_("no: %(problems)s"),
    "cli.date_form": N_("must be a date in the form YYYY-MM-DD"),
    "timing.CREATION_DATE": N_("Send invoices the night after they are created"),
    "timing.INVOICE_DATE": N_("Send invoices based on the invoice date"),
    "language.fi": N_("Finnish"),
    "language.sv": N_("Swedish"),
    "language.en": N_("English"),
    "cli.already_active": N_("Automatic dispatch of %(tenant)s is already on (since %(since)s)."),
    "cli.since_import": N_("the import"),
    "cli.activated": N_(
        "Automatic dispatch of %(tenant)s is on from %(at)s. Invoices created from now on are sent in "
        "the first run after their creation; unsent older ones only after %(command)s."
    ),
    "cli.deactivated": N_("Automatic dispatch of %(tenant)s is off; runs no longer send its invoices."),
    "cli.state.SENT_MANUALLY": N_("Sent manually"),
    "cli.state.IMPORTED_AS_SENT": N_("Imported as sent"),
    "cli.serve.running": N_("autodispatch is running locally on %(url)s (stack %(stack)s)."),
    "cli.serve.exports": N_("In another shell, export these and use any autodispatch command:"),
    "cli.serve.in_memory": N_("Everything is kept in memory. Press Ctrl-C to stop."),
    "cli.serve.stopped": N_("Stopped."),
    "cli.token.one_of": N_("give exactly one of --tenant T and --system"),
    "cli.title.executions": N_("Executions"),
    "cli.title.report_invoices": N_("Invoices"),
    "cli.title.notifications": N_("Notifications"),
    "cli.title.deliveries": N_("Deliveries"),
    "cli.column.tenant": N_("Company"),
    "cli.column.kind": N_("Kind"),
    "cli.column.to": N_("To"),
    "cli.column.subject": N_("Subject / text"),
    "cli.column.artifact": N_("File"),
    "cli.notification.EMAIL": N_("Email"),
    "cli.notification.SMS": N_("Text message"),
    "cli.delivery.INVOICE": N_("Invoice"),
    "cli.delivery.FACTORING": N_("Factoring message"),
    "cli.delivery.DIRECT_PAYMENT_NOTICE": N_("Direct-payment pre-notification"),
    "target.no_credentials": N_(
        "no AWS credentials found: configure a profile (AWS_PROFILE) or export AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY; %(local)s"
    ),
    "target.local_hint": N_(
        "for the local system, start `autodispatch local serve` and export what it prints"
    ),
    "target.bad_credentials": N_(
        "AWS did not accept the credentials (%(aws_code)s): check the profile or the exported keys"
    ),
    "target.access_denied": N_(
        "access denied: these AWS credentials may not call %(operation)s (%(aws_code)s)"
    ),
    "target.no_region": N_(
        "no AWS region: pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or give the profile one"
    ),
    "target.profile_not_found": N_("AWS profile %(profile)s not found"),
    "target.unreachable": N_("cannot reach %(endpoint)s: %(hint)s"),
    "target.hint_local": N_("is `autodispatch local serve` running there?"),
    "target.hint_network": N_("check the network and region"),
    "target.refused": N_("AWS refused %(operation)s: %(aws_code)s"),
    "target.refused_saying": N_("AWS refused %(operation)s: %(aws_code)s: %(message)s"),
    "target.request_failed": N_("AWS request failed: %(error)s"),
    "target.stack_not_found": N_(
        "stack %(stack)s not found in %(region)s: deploy it, pass --stack NAME (or set "
        "AUTODISPATCH_STACK), or start `autodispatch local serve`"
    ),
    "target.stack_not_found_at": N_(
        "stack %(stack)s not found in %(region)s at %(endpoint)s: deploy it, pass --stack NAME (or set "
        "AUTODISPATCH_STACK), or start `autodispatch local serve`"
    ),
    "target.no_outputs": N_("stack %(stack)s has no output %(outputs)s: is it an autodispatch stack?"),
    "target.function_configuration": N_(
        "cannot read the configuration of function %(function)s of stack %(stack)s (%(aws_code)s)"
    ),
    "target.misconfigured": N_("the channels of stack %(stack)s are misconfigured: %(error)s"),
    "cli.unexpected": N_("unexpected error (%(kind)s): %(error)s; set AUTODISPATCH_DEBUG=1 for details"),
    # The CLI's help (--help): commands, options and arguments, rendered when the language is known.
    "cli.help.app": N_("Automatic dispatch of sales invoices: operate a deployed stack or run it locally."),
    "cli.help.exit_codes": N_(
        "Exit status: 0 done; 1 refused or failed (unknown id, an action the rules do not allow, "
        "AWS error); 2 bad command line or input, nothing changed; 3 the awaited run did not "
        "succeed; 4 the awaited run was still running at --timeout; 130 interrupted."
    ),
    "cli.help.local": N_("The whole system in embedded AWS on this machine."),
    "cli.help.stack": N_("The CloudFormation stack whose outputs name the resources to operate."),
    "cli.help.region": N_("AWS region; default from AWS_REGION / the profile."),
    "cli.help.profile": N_("AWS profile; default AWS_PROFILE."),
    "cli.help.lang": N_(
        "The language of messages and help: fi, sv or en; default from the locale (LC_ALL, "
        "LC_MESSAGES, LANG), else en."
    ),
    "cli.help.json": N_("Print JSON for scripts instead of tables."),
    "cli.help.tenant": N_("The tenant (company) id."),
    "cli.help.local_run": N_(
        "Import a scenario and run one nightly execution per --date, in order, on the same data."
    ),
    "cli.help.scenario": N_("Scenario file (SCENARIO-FORMAT.md)."),
    "cli.help.run_dates": N_("Run date YYYY-MM-DD; repeat for more nights."),
    "cli.help.concurrent_starts": N_(
        "Executions started at once for each night. The report counts per night: each invoice once "
        "in selected, sent, ignored and failed, however many executions saw it."
    ),
    "cli.help.out": N_("Write every delivered artifact under this folder."),
    "cli.help.report_json": N_("Print the run report as JSON."),
    "cli.help.local_serve": N_(
        "Start the whole system in embedded AWS on 127.0.0.1 and keep it running until Ctrl-C. It "
        "publishes a stack with the same outputs as a deployed one, so every other command works "
        "against it once AWS_ENDPOINT_URL and the printed credentials are exported."
    ),
    "cli.help.port": N_("Port on 127.0.0.1."),
    "cli.help.api_port": N_("Port of the integration API; default: a free port."),
    "cli.help.web_port": N_("Port of the tenant view (web page); default: a free port."),
    "cli.help.local_token": N_(
        "Print a bearer token for the integration API of `local serve`, alone on stdout. --tenant "
        "T: an ID token of the local user of tenant T (created on first use); --system: an access "
        "token of the default billing-system client, granted every tenant."
    ),
    "cli.help.token_tenant": N_("A token of a user of this tenant."),
    "cli.help.token_system": N_("The default system client's token."),
    "cli.help.invoices": N_("Invoices and their automatic dispatch."),
    "cli.help.invoice_id": N_("The invoice id (invoice_id of the scenario)."),
    "cli.help.invoices_import": N_(
        "Create or update the tenants and invoices of a scenario file. Nothing is imported when any"
        " record is wrong; every problem is listed with its tenant, invoice and field. Invoices may"
        " belong to tenants already in the system."
    ),
    "cli.help.invoices_list": N_(
        "The open-invoices list: each invoice's automatic-dispatch state and one-line message, and "
        "for a pending invoice what the next night will do with it."
    ),
    "cli.help.state": N_("Only invoices whose automatic dispatch is in this state."),
    "cli.help.invoices_show": N_(
        "The detailed explanation (“Automatic dispatch failed: ...”) and the full history."
    ),
    "cli.help.remove_auto": N_(
        "Remove automatic dispatch from a pending invoice: no run sends it; send it manually."
    ),
    "cli.help.restore_auto": N_("Add automatic dispatch back to an unsent invoice it was removed from."),
    "cli.help.send": N_("Send an unsent invoice now, e.g. after correcting it; recorded as sent manually."),
    "cli.help.send_channel": N_(
        "Send through this channel only; without it the settings' channel chain decides."
    ),
    "cli.help.runs": N_("Nightly runs: start one by hand, list them, show one."),
    "cli.help.runs_start": N_(
        "Start one execution of the nightly state machine, as the schedule does at 00:05: "
        "tonight's, or a night that has passed (catch-up); a night that has not come is refused."
    ),
    "cli.help.run_date": N_("The night to run, YYYY-MM-DD, today or earlier; default: today (local)."),
    "cli.help.wait": N_("Wait for the run to end and show its counts."),
    "cli.help.timeout": N_("Seconds to wait at most with --wait."),
    "cli.help.runs_list": N_(
        "Recent executions, newest first, with their status and counts; also those that failed "
        "before they selected anything (their run date and counts are empty)."
    ),
    "cli.help.limit": N_("How many runs, newest first."),
    "cli.help.runs_show": N_(
        "One run: status, counts, the invoices it failed or ignored, the execution ARN and console link."
    ),
    "cli.help.run_id": N_("The run id: the execution name (see `runs list`)."),
    "cli.help.settings": N_("A tenant's automatic-dispatch settings."),
    "cli.help.settings_show": N_("Show a tenant's settings and whether they can be activated."),
    "cli.help.settings_set": N_(
        "Change settings; a list option replaces the whole list. An active tenant must keep "
        "settings that can be activated."
    ),
    "cli.help.source": N_("An enabled invoice source; repeat for more."),
    "cli.help.channel": N_("An enabled invoice channel; repeat for more."),
    "cli.help.timing": N_(
        "The dispatch time: by the invoice date, or the night after the invoice is created."
    ),
    "cli.help.notify_email": N_("Where failure notifications go by email; '' clears it."),
    "cli.help.notify_phone": N_(
        "Where failure notifications go by text message, as typed (040 123 4567) or international "
        "(+358401234567); '' clears it."
    ),
    "cli.help.consumer_einvoicing": N_("Offer consumer e-invoices."),
    "cli.help.language": N_("The language of failure notifications."),
    "cli.help.activate": N_(
        "Switch automatic dispatch on; refused unless the settings can be activated. Unsent "
        "invoices created before now keep automatic dispatch off until it is added back to each "
        "(`invoices restore-auto`)."
    ),
    "cli.help.deactivate": N_(
        "Switch automatic dispatch off: future runs skip the tenant; nothing sent changes."
    ),
}
