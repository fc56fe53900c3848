"""R28 in a real browser: the tenant view of `local serve` over the integration API (R27), signed in
with a local tenant token in the URL fragment, on the demo scenario after its first night."""

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.tenant_view import TenantView

FAILED = "k-1005"
PENDING = "k-1010"


def row(page: Page, invoice_id: str) -> Locator:
    return page.locator(f'tr[data-invoice="{invoice_id}"]')


def test_r28_the_token_leaves_the_url_and_the_page_allows_only_its_own_origin(
    tenant_view: TenantView, page: Page
) -> None:
    response = page.goto(tenant_view.url)
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    tenant_view.open(page, "kahvila")
    expect(row(page, FAILED)).to_be_visible()
    assert "id_token" not in page.url
    assert page.url.endswith("#/invoices")


def test_r28_the_list_shows_badges_messages_and_tonights_preview(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "kahvila")
    failed = row(page, FAILED)
    expect(failed.locator(".badge")).to_have_text("Failed")
    expect(failed.locator(".badge")).to_have_class(re.compile("badge-failed"))
    expect(failed.locator("button.message")).to_have_text(re.compile(r"^Automatic dispatch failed: "))
    # The invoice itself: its number, customer, dates and total (10 x 4.50 + 25.5 % VAT).
    expect(failed.locator("td").first).to_have_text("1005")
    expect(failed.locator(".col-customer")).to_have_text("Ei Osoitetta")
    expect(failed.locator(".col-dates")).to_contain_text("2026")
    expect(failed.locator(".col-amount")).to_contain_text("56.48")
    expect(row(page, "k-1001").locator(".badge")).to_have_text("Sent")
    expect(row(page, "k-1007").locator(".badge")).to_have_text("Removed")
    pending = row(page, PENDING)
    expect(pending.locator(".badge")).to_have_text("Pending")
    expect(pending.locator(".preview")).to_have_text(re.compile(r"^Next night: .*email"))

    page.select_option("#state-filter", "FAILED")
    expect(page.locator("table.invoices tbody tr")).to_have_count(1)
    expect(row(page, FAILED)).to_be_visible()


def test_r28_hovering_the_message_shows_the_detailed_explanation(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "kahvila")
    message = row(page, FAILED).locator("button.message")
    tooltip = page.locator(f"#{message.get_attribute('aria-describedby')}")
    expect(tooltip).to_be_hidden()
    message.hover()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_attribute("role", "tooltip")
    expect(tooltip).to_contain_text("EMAIL")
    page.locator("h2").hover()
    expect(tooltip).to_be_hidden()


def test_r28_keyboard_focus_shows_the_explanation_and_escape_closes_it(
    tenant_view: TenantView, page: Page
) -> None:
    tenant_view.open(page, "kahvila")
    message = row(page, FAILED).locator("button.message")
    tooltip = page.locator(f"#{message.get_attribute('aria-describedby')}")
    page.locator("#state-filter").focus()
    for _ in range(40):  # Tab through the rows up to the failed invoice's message
        page.keyboard.press("Tab")
        if message.evaluate("element => element === document.activeElement"):
            break
    expect(message).to_be_focused()
    expect(tooltip).to_be_visible()
    expect(message).to_have_accessible_description(tooltip.inner_text())
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()


def test_r20_remove_and_restore_automatic_dispatch_with_confirmation(
    tenant_view: TenantView, page: Page
) -> None:
    tenant_view.open(page, "kahvila", f"invoice/{PENDING}")
    page.click("#remove-auto")
    expect(page.get_by_role("alertdialog")).to_contain_text(PENDING)
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.locator("h2 .badge")).to_have_text("Pending")

    page.click("#remove-auto")
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("#result")).to_have_text("Automatic dispatch removed.")
    expect(page.locator("h2 .badge")).to_have_text("Removed")

    page.click("#restore-auto")
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("#result")).to_have_text("Automatic dispatch restored.")
    expect(page.locator("h2 .badge")).to_have_text("Pending")
    history = page.locator("ol.history li")
    expect(history.last).to_contain_text("RESTORED")


def test_r22_manual_send_by_a_chosen_channel(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "kahvila", f"invoice/{PENDING}")
    page.select_option("#send-channel", "EMAIL")
    page.click("#send-now")
    expect(page.get_by_role("alertdialog")).to_contain_text("Email")
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("#result")).to_have_text("Sent by Email.")
    expect(page.locator("h2 .badge")).to_have_text("Sent")
    expect(page.locator("#send-now")).to_have_count(0)


def test_r2_settings_errors_are_shown_next_to_their_fields(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "kahvila", "settings")
    expect(page.locator("#deactivate")).to_be_visible()
    page.fill("#input-notify_email", "not an address")
    page.click("button[type=submit]")
    expect(page.locator("#error-notify_email")).to_contain_text("email")

    for box in page.locator("input[type=checkbox]").all():
        box.uncheck()
    page.fill("#input-notify_email", "")
    page.fill("#input-notify_phone", "")
    page.click("button[type=submit]")
    expect(page.locator("#error-sources")).to_contain_text("source")
    expect(page.locator("#error-channels")).to_contain_text("channel")
    expect(page.locator("#error-notify_email")).to_contain_text("notification")
    expect(page.locator("#field-sources")).to_have_attribute("aria-describedby", "error-sources")

    page.reload()  # nothing was saved: the active tenant keeps satisfying R2
    expect(page.locator("input[name=sources]:checked").first).to_be_visible()


def test_r4_deactivate_and_activate_from_the_settings(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "tilitoimisto", "settings")
    page.click("#deactivate")
    expect(page.locator("#result")).to_have_text("Automatic dispatch deactivated.")
    expect(page.locator("#activation-state")).to_have_text("Automatic dispatch is off.")
    page.click("#activate")
    expect(page.locator("#result")).to_have_text("Automatic dispatch activated.")
    expect(page.locator("#activation-state")).to_contain_text("Automatic dispatch is on since")


def test_r27_another_tenants_token_sees_only_its_own_invoices(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "tilitoimisto")
    rows = page.locator("table.invoices tbody tr")
    expect(rows.first).to_be_visible()
    invoice_ids = [item.get_attribute("data-invoice") for item in rows.all()]
    assert invoice_ids
    assert all(str(invoice_id).startswith("t-") for invoice_id in invoice_ids)


def test_r28_finnish_labels_and_dates(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "kahvila")
    page.select_option("#language", "fi")
    expect(page.locator("h2")).to_have_text("Avoimet laskut")
    expect(row(page, FAILED).locator(".badge")).to_have_text("Epäonnistui")
    page.goto(f"{tenant_view.url}#/invoice/k-1001")
    expect(page.locator("ol.history time").first).to_have_text(re.compile(r"\d{1,2}\.\d{1,2}\.2026"))
