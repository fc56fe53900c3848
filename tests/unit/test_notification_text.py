"""R21: the tenant's notification says, per invoice, the customer, the total and why each channel
tried could not be used (R16), in the tenant's language, as plain text and HTML; the SMS is short."""

from datetime import date
from decimal import Decimal

import pytest

from autodispatch.logic.notification_text import SMS_MAX_LENGTH, compose_email, compose_sms
from autodispatch.models.enums import AutoDispatchState
from autodispatch.store.port import RunIssue, RunRef

RUN = RunRef(run_id="run-1", run_date=date(2026, 3, 10))
REASONS = (
    "1. Email invoice (cannot be used): the customer has no email address",
    "2. Print service (cannot be used): the customer's address details are incomplete for a letter "
    "(missing: postal address)",
)


def failed_issue(**changes: object) -> RunIssue:
    message = "Automatic dispatch failed: no email address and incomplete postal address"
    values: dict[str, object] = {
        "tenant_id": "seller",
        "invoice_id": "inv-1",
        "number": "1005",
        "state": AutoDispatchState.FAILED,
        "message": message,
        "details": "\n".join((f"{message}.", *REASONS, "Correct the invoice and send it manually.")),
        "customer_name": "Ei Osoitetta",
        "amount": Decimal("1234.5"),
        "currency": "EUR",
    }
    return RunIssue.model_validate({**values, **changes})


def test_r21_email_names_customer_amount_and_every_channels_reason(build):
    email = compose_email(build.tenant(), [failed_issue()], RUN)
    assert "Invoice 1005 (FAILED) – Ei Osoitetta – 1\u00a0234,50\u00a0€" in email.text
    for reason in REASONS:
        assert reason in email.text
        assert reason.replace("'", "&#x27;") in email.html
    assert "<strong>Invoice 1005 (FAILED) – Ei Osoitetta – 1\u00a0234,50\u00a0€</strong>" in email.html
    assert email.subject.startswith("Automatic dispatch 10 Mar 2026 (")
    assert email.subject.endswith("): 1 failed")


def test_r21_an_issue_without_details_still_reads_its_message(build):
    issue = failed_issue(details=None, customer_name=None, amount=None, currency=None)
    email = compose_email(build.tenant(), [issue], RUN)
    assert "- Invoice 1005 (FAILED)\n    Automatic dispatch failed: no email address" in email.text


@pytest.mark.parametrize(
    ("language", "subject_start", "line"),
    [
        (
            "fi",
            "Automaattinen lähetys 10.3.2026",
            "Lasku 1005 (EPÄONNISTUI) – Ei Osoitetta – 1\u00a0234,50\u00a0€",
        ),
        (
            "sv",
            "Automatisk utskick 10 mars 2026",
            "Faktura 1005 (MISSLYCKADES) – Ei Osoitetta – 1\u00a0234,50\u00a0€",
        ),
        (
            "en",
            "Automatic dispatch 10 Mar 2026",
            "Invoice 1005 (FAILED) – Ei Osoitetta – 1\u00a0234,50\u00a0€",
        ),
    ],
)
def test_r21_notification_in_the_tenants_language(build, language, subject_start, line):
    tenant = build.tenant({"language": language})
    email = compose_email(tenant, [failed_issue()], RUN)
    assert email.subject.startswith(subject_start)
    assert line in email.text
    assert f'<html lang="{language}">' in email.html
    assert compose_sms(tenant, [failed_issue()], RUN).startswith(subject_start)


def test_r21_language_defaults_to_english(build):
    assert build.tenant().settings.language == "en"


def test_r21_html_part_escapes_every_text(build):
    issue = failed_issue(customer_name="<script>alert(1)</script> & Co")
    email = compose_email(build.tenant(), [issue], RUN)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.html


def test_r21_sms_stays_short_and_names_the_invoices_only(build):
    issues = [failed_issue(number=f"{n:06d}", invoice_id=f"inv-{n}") for n in range(100)]
    sms = compose_sms(build.tenant(), issues, RUN)
    assert len(sms) <= SMS_MAX_LENGTH
    assert "Ei Osoitetta" not in sms
    assert "no email address" not in sms
