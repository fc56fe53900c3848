"""The settings and import use cases on the DynamoDB store (moto): re-keying on a timing change
(R6, R7), turning older invoices off on a later activation (R2), R2 refusals, and imports that
refuse unknown tenants and invoices a run is sending (R23, R25)."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import ActivationRefused, InputError, InvoiceBusy, NotFound
from autodispatch.i18n import render
from autodispatch.logic.importing import (
    ACTIVE_SINCE_BEFORE_EVERY_INVOICE,
    import_invoices,
    import_scenario,
    parse_import,
)
from autodispatch.logic.settings import activate, change_settings, deactivate, save_tenant
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind, Timing
from autodispatch.models.scenario import Invoice, InvoiceKey, Scenario, Tenant
from autodispatch.rules.messages import BEFORE_ACTIVATION_MESSAGE
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt
from tests.integration.conftest import ZONE

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=HELSINKI)
FAR = NOW + timedelta(days=30)


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def due(store: DynamoDbInvoiceStore, tenant_id: str) -> dict[str, datetime]:
    return {e.key.invoice_id: e.due_from for e in store.pending(FAR) if e.key.tenant_id == tenant_id}


def claim(store: DynamoDbInvoiceStore, invoice_key: InvoiceKey) -> None:
    """A run holds the invoice: it is sending it now (R23)."""
    attempt = Attempt(run_id="run-1", channel=Channel.EINVOICE, kind=DeliveryKind.INVOICE, started_at=NOW)
    store.claim(invoice_key, attempt, NOW + timedelta(minutes=15), [])


def tenant(scenario: Scenario, tenant_id: str, **settings: Any) -> Tenant:
    found = next(each for each in scenario.tenants if each.tenant_id == tenant_id)
    return found.model_copy(update={"settings": found.settings.model_copy(update=settings)})


def invoice(scenario: Scenario, invoice_id: str, **changes: Any) -> Invoice:
    return next(each for each in scenario.invoices if each.invoice_id == invoice_id).model_copy(
        update=changes
    )


# Settings -------------------------------------------------------------------------------------


def test_r7_timing_change_rekeys_every_pending_invoice_of_the_tenant(loaded: DynamoDbInvoiceStore) -> None:
    before, other_tenant = due(loaded, "tilitoimisto"), due(loaded, "kahvila")
    assert before["t-502"] == datetime(2026, 3, 11, tzinfo=HELSINKI)  # its invoice date (R7)
    changed = change_settings(loaded, "tilitoimisto", {"timing": Timing.CREATION_DATE}, ZONE, NOW)
    assert changed.settings.timing is Timing.CREATION_DATE
    assert loaded.get_tenant("tilitoimisto").settings.timing is Timing.CREATION_DATE
    after = due(loaded, "tilitoimisto")
    assert after.keys() == before.keys()
    assert after["t-502"] == datetime(2026, 3, 9, tzinfo=HELSINKI)  # the day after its creation (R6)
    assert after["t-503"] == datetime(2026, 3, 10, tzinfo=HELSINKI)
    assert due(loaded, "kahvila") == other_tenant
    back = change_settings(loaded, "tilitoimisto", {"timing": Timing.INVOICE_DATE}, ZONE, NOW)
    assert back.settings.timing is Timing.INVOICE_DATE
    assert due(loaded, "tilitoimisto") == before


def test_r6_an_unchanged_timing_moves_nothing(loaded: DynamoDbInvoiceStore, scenario: Scenario) -> None:
    before = due(loaded, "kahvila")
    save_tenant(loaded, tenant(scenario, "kahvila", notify_phone=None), ZONE, NOW)
    assert due(loaded, "kahvila") == before
    assert all(not record.history for record in loaded.list_records("kahvila"))


def test_r2_later_activation_turns_off_older_unsent_invoices_but_not_user_choices(
    loaded: DynamoDbInvoiceStore,
) -> None:
    restored = key("kahvila", "k-1007")  # imported off; the user turns it on
    loaded.restore_auto(restored, NOW, HistoryEvent(at=NOW, event=HistoryEventKind.RESTORED_BY_USER))
    deactivate(loaded, "kahvila", ZONE, NOW)
    activation = activate(loaded, "kahvila", ZONE, NOW)
    assert activation.already_active is False
    assert activation.tenant.settings.activated_at == NOW
    assert loaded.get_tenant("kahvila").settings.active is True
    older = loaded.get_record(key("kahvila", "k-1001"))
    assert (older.state, older.message) == (AutoDispatchState.REMOVED, BEFORE_ACTIVATION_MESSAGE)
    assert [(e.event, e.at) for e in older.history] == [(HistoryEventKind.TURNED_OFF_BY_ACTIVATION, NOW)]
    assert set(due(loaded, "kahvila")) == {"k-1010", "k-1007"}  # created after NOW / turned on
    assert loaded.get_record(key("kahvila", "k-1006")).state is AutoDispatchState.SENT


def test_r2_activating_an_active_tenant_changes_nothing(loaded: DynamoDbInvoiceStore) -> None:
    before = due(loaded, "kahvila")
    activation = activate(loaded, "kahvila", ZONE, NOW)
    assert activation.already_active is True
    assert activation.tenant == loaded.get_tenant("kahvila")
    assert due(loaded, "kahvila") == before


def test_r2_a_claimed_invoice_is_not_turned_off_by_an_activation(loaded: DynamoDbInvoiceStore) -> None:
    claimed = key("kahvila", "k-1001")
    claim(loaded, claimed)
    deactivate(loaded, "kahvila", ZONE, NOW)
    activate(loaded, "kahvila", ZONE, NOW + timedelta(minutes=1))
    assert loaded.get_record(claimed).state is AutoDispatchState.PENDING  # the run settles it
    assert loaded.get_record(key("kahvila", "k-1002")).state is AutoDispatchState.REMOVED


def test_r2_activation_refused_names_every_missing_setting(loaded: DynamoDbInvoiceStore) -> None:
    deactivate(loaded, "tilitoimisto", ZONE, NOW)
    change_settings(loaded, "tilitoimisto", {"sources": [], "notify_email": None}, ZONE, NOW)
    with pytest.raises(ActivationRefused) as refused:
        activate(loaded, "tilitoimisto", ZONE, NOW)
    assert str(refused.value) == (
        "Cannot activate automatic dispatch of 'tilitoimisto': choose at least one invoice source; "
        "give a notification email or phone"
    )
    assert loaded.get_tenant("tilitoimisto").settings.active is False


def test_r2_an_active_tenant_cannot_lose_its_recipient(loaded: DynamoDbInvoiceStore) -> None:
    change_settings(loaded, "tilitoimisto", {"notify_phone": "+358401234567"}, ZONE, NOW)
    with pytest.raises(
        ActivationRefused, match="must allow automatic dispatch: give a notification email or phone"
    ):
        change_settings(loaded, "tilitoimisto", {"notify_email": None, "notify_phone": None}, ZONE, NOW)
    assert loaded.get_tenant("tilitoimisto").settings.notify_phone == "+358401234567"


def test_r1_invalid_setting_names_the_settings_field(loaded: DynamoDbInvoiceStore) -> None:
    with pytest.raises(InputError) as invalid:
        change_settings(loaded, "kahvila", {"notify_email": "nobody@"}, ZONE, NOW)
    assert [issue.field for issue in invalid.value.issues] == ["notify_email"]
    with pytest.raises(InputError, match="nothing to change"):
        change_settings(loaded, "kahvila", {}, ZONE, NOW)
    with pytest.raises(NotFound, match="'nobody'"):
        change_settings(loaded, "nobody", {"timing": Timing.INVOICE_DATE}, ZONE, NOW)


def test_r2_deactivation_keeps_invoices_and_activation_time(loaded: DynamoDbInvoiceStore) -> None:
    before = due(loaded, "kahvila")
    off = deactivate(loaded, "kahvila", ZONE, NOW)
    assert off.settings.active is False
    assert deactivate(loaded, "kahvila", ZONE, NOW) == off
    assert due(loaded, "kahvila") == before


# Import ---------------------------------------------------------------------------------------


def test_r25_import_counts_what_it_wrote(store: DynamoDbInvoiceStore, scenario: Scenario) -> None:
    result = import_scenario(store, scenario, ZONE, NOW)
    assert (result.tenants, result.invoices) == (2, 15)
    assert len(store.list_records("kahvila")) == 11


def test_r25_invoices_of_unknown_tenants_are_refused_naming_them(
    store: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    with pytest.raises(NotFound, match="Unknown tenant 'kahvila', 'tilitoimisto'"):
        import_invoices(store, scenario.invoices, ZONE, NOW)
    assert store.list_records("kahvila") == []


def test_r23_an_invoice_a_run_is_sending_is_refused_as_busy(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    sending = key("kahvila", "k-1001")
    claim(loaded, sending)
    corrected = [invoice(scenario, "k-1001", number="2001"), invoice(scenario, "k-1002", number="2002")]
    with pytest.raises(InvoiceBusy) as busy:
        import_invoices(loaded, corrected, ZONE, NOW)
    found = [(issue.tenant_id, issue.invoice_id, issue.field) for issue in busy.value.issues]
    assert found == [("kahvila", "k-1001", "(invoice)")]
    assert "a run is sending this invoice" in str(busy.value)
    assert isinstance(busy.value, InputError)
    documents = loaded.get_invoices([sending, key("kahvila", "k-1002")])
    assert [documents[k].number for k in sorted(documents, key=str)] == ["1001", "1002"]  # nothing written


def test_r17_r19_an_invoice_a_run_has_delivered_and_not_yet_settled_is_refused_in_every_language(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    """Issue 21: k-1009 went out by e-invoice and the run marked it delivered before its factoring
    copy (the claim still held, nothing unfinished of the invoice itself); a re-import now would
    have the financier's copy and the archived copy made from content that was never sent."""
    delivered = key("kahvila", "k-1009")
    claim(loaded, delivered)
    marker = Attempt(
        run_id="run-1",
        channel=Channel.EMAIL,
        kind=DeliveryKind.FACTORING,
        started_at=NOW,
        delivered=Channel.EINVOICE,
    )
    sent = HistoryEvent(at=NOW, event=HistoryEventKind.SENT, channel=Channel.EINVOICE, run_id="run-1")
    loaded.next_attempt(delivered, marker, [sent])
    assert loaded.get_record(delivered).unfinished_attempt is None
    corrected = [invoice(scenario, "k-1009", number="2009"), invoice(scenario, "k-1002", number="2002")]
    with pytest.raises(InvoiceBusy) as busy:
        import_invoices(loaded, corrected, ZONE, NOW)
    [issue] = busy.value.issues
    assert (issue.tenant_id, issue.invoice_id, issue.field) == ("kahvila", "k-1009", "(invoice)")
    assert issue.text is not None
    assert render(issue.text, "en") == (
        "a run has sent this invoice and is still finishing it; import it again after that run has finished"
    )
    assert "ajo on lähettänyt tämän laskun" in render(issue.text, "fi")
    assert "en körning har skickat den här fakturan" in render(issue.text, "sv")
    assert "tenant 'kahvila', invoice 'k-1009'" in str(busy.value)
    documents = loaded.get_invoices([delivered, key("kahvila", "k-1002")])
    assert [documents[k].number for k in sorted(documents, key=str)] == ["1002", "1009"]  # nothing written


def test_r2_parse_import_reports_an_active_tenants_problems_with_the_format_problems(
    scenario: Scenario,
) -> None:
    document = {
        "tenants": [
            {
                **tenant(scenario, "kahvila").model_dump(mode="json"),
                "settings": {"active": True, "sources": []},
            },
        ],
        "invoices": [{**invoice(scenario, "k-1001").model_dump(mode="json"), "due_date": "2026-13-01"}],
    }
    with pytest.raises(InputError) as invalid:
        parse_import(document)
    messages = [str(issue) for issue in invalid.value.issues]
    r2 = (
        "tenant 'kahvila', field 'settings': a tenant imported as active must be one that could be "
        "activated: "
    )
    assert messages[:3] == [
        r2 + "choose at least one invoice source",
        r2 + "choose at least one delivery channel",
        r2 + "give a notification email or phone",
    ]
    assert "invoice 'k-1001', field 'due_date'" in messages[3]
    assert len(messages) == 4


def test_r25_an_import_refused_by_its_checks_writes_nothing(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    sending = key("kahvila", "k-1002")
    claim(loaded, sending)
    kahvila_before = loaded.get_tenant("kahvila")
    changed = Scenario(
        tenants=[tenant(scenario, "kahvila", timing=Timing.INVOICE_DATE)],
        invoices=[invoice(scenario, "k-1001", number="2001"), invoice(scenario, "k-1002", number="2002")],
    )
    with pytest.raises(InvoiceBusy):
        import_scenario(loaded, changed, ZONE, NOW)
    assert loaded.get_tenant("kahvila") == kahvila_before
    assert loaded.get_invoices([key("kahvila", "k-1001")])[key("kahvila", "k-1001")].number == "1001"


def test_r2_invoices_of_a_stored_tenant_import_without_the_tenant(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    later = invoice(scenario, "k-1010").model_copy(update={"invoice_id": "k-2001"})
    result = import_scenario(loaded, Scenario(tenants=[], invoices=[later]), ZONE, NOW)
    assert (result.tenants, result.invoices) == (0, 1)
    assert loaded.get_record(later.key).state is AutoDispatchState.PENDING


def test_r2_an_imported_active_tenant_is_never_stored_without_an_activation_time(
    store: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    """Active without `activated_at` in a scenario: active since before any of its invoices (they
    are on); a re-import keeps the activation time stored for a tenant active already."""
    import_scenario(store, scenario, ZONE, NOW)
    for imported in scenario.tenants:
        settings = store.get_tenant(imported.tenant_id).settings
        assert settings.active is imported.settings.active
        if settings.active:
            assert settings.activated_at == ACTIVE_SINCE_BEFORE_EVERY_INVOICE
    assert {r.state for r in store.list_records("kahvila")} >= {AutoDispatchState.PENDING}
    deactivate(store, "kahvila", ZONE, NOW)
    activate(store, "kahvila", ZONE, NOW)
    import_scenario(store, scenario, ZONE, NOW + timedelta(hours=1))
    assert store.get_tenant("kahvila").settings.activated_at == NOW
