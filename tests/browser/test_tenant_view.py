"""R28 in a real browser: the tenant view of `local serve` over the integration API (R27), signed in
through the page's own local sign-in, on the demo scenario after its first night. Each test reads
demo invoices it leaves as they are, or changes invoices and tenants of its own, so any order works."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, Route, expect

from tests.browser.tenant_view import TenantView
from tests.local_serve import cli

FAILED = "k-1005"
PENDING = "k-1010"
IGNORED_ELSEWHERE = "t-501"  # tilitoimisto's
FAILED_ELSEWHERE = "t-503"


# The API renders its messages in the asked language once the i18n change is in (issue 18).
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


def test_r28_a_link_with_somebody_elses_token_never_switches_the_tenant(
    tenant_view: TenantView, page: Page
) -> None:
    foreign = tenant_view.foreign_token("tilitoimisto")
    # A tab that did not start a sign-in takes no token, and the token leaves the address bar.
    page.goto(f"{tenant_view.url}#id_token={foreign}")
    expect(page.locator("#local-tenant")).to_be_visible()
    assert "id_token" not in page.url
    # A signed-in tab stays with its own tenant, whatever state the link claims.
    tenant_view.open(page, "kahvila")
    page.goto(f"{tenant_view.url}#id_token={foreign}&state=guessed")
    expect(page.locator("table.invoices")).to_be_visible()
    expect(row(page, FAILED)).to_be_visible()
    expect(row(page, IGNORED_ELSEWHERE)).to_have_count(0)
    assert "id_token" not in page.url
    page.reload()
    expect(row(page, FAILED)).to_be_visible()


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
    expect(row(page, "k-1001").locator(".col-channel")).to_have_text("E-invoice to a business or consumer")
    expect(row(page, "k-1007").locator(".badge")).to_have_text("Removed")
    pending = row(page, PENDING)
    expect(pending.locator(".badge")).to_have_text("Pending")
    expect(pending.locator(".preview")).to_have_text(re.compile(r"^Next night: .*email"))

    # The filter offers exactly the states the API's list accepts (its OpenAPI document).
    offered = page.locator("#state-filter option").evaluate_all("options => options.map(o => o.value)")
    assert offered[0] == ""
    assert {"PENDING", "SENT", "FAILED", "IGNORED", "REMOVED"} <= set(offered[1:])
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
    expect(tooltip).to_contain_text("email")
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
    invoice_id = tenant_view.own_invoice(PENDING, "k-2001")
    tenant_view.open(page, "kahvila", f"invoice/{invoice_id}")
    expect(page.locator("#restore-auto")).to_have_count(0)
    page.click("#remove-auto")
    expect(page.get_by_role("alertdialog")).to_contain_text(invoice_id)
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.locator("h2 .badge")).to_have_text("Pending")

    page.click("#remove-auto")
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("#result")).to_have_text("Automatic dispatch removed.")
    expect(page.locator("h2 .badge")).to_have_text("Removed")
    expect(page.locator("#remove-auto")).to_have_count(0)

    page.click("#restore-auto")
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("#result")).to_have_text("Automatic dispatch restored.")
    expect(page.locator("h2 .badge")).to_have_text("Pending")
    history = page.locator("ol.history li")
    expect(history.last).to_have_attribute("data-event", "RESTORED_BY_USER")
    expect(history.last).to_contain_text("Automatic dispatch restored by the user")


def test_r22_manual_send_by_a_chosen_channel(tenant_view: TenantView, page: Page) -> None:
    invoice_id = tenant_view.own_invoice(PENDING, "k-2002")
    tenant_view.open(page, "kahvila", f"invoice/{invoice_id}")
    page.select_option("#send-channel", "EMAIL")
    page.click("#send-now")
    expect(page.get_by_role("alertdialog")).to_contain_text("Email invoice")
    page.get_by_role("alertdialog").get_by_role("button", name="Confirm").click()
    expect(page.locator("#result")).to_have_text("Sent: Email invoice.")
    expect(page.locator("h2 .badge")).to_have_text(re.compile("^Sent"))
    expect(page.locator("#send-now")).to_have_count(0)


@pytest.mark.parametrize(("language", "failed"), [("sv", "Misslyckades"), ("fi", "Epäonnistui")])
def test_r20_restore_is_not_offered_on_a_failed_invoice(
    tenant_view: TenantView, page: Page, language: str, failed: str
) -> None:
    tenant_view.open(page, "kahvila", f"invoice/{FAILED}", language=language)
    expect(page.locator("h2 .badge")).to_have_text(failed)
    expect(page.locator("#send-now")).to_be_visible()
    expect(page.locator("#restore-auto")).to_have_count(0)
    expect(page.locator("#remove-auto")).to_have_count(0)


def test_r2_settings_errors_are_shown_next_to_their_fields(tenant_view: TenantView, page: Page) -> None:
    tenant = tenant_view.own_tenant("kahvila", "kahvila-errors")
    tenant_view.open(page, tenant, "settings")
    page.fill("#input-notify_email", "not an address")
    page.fill("#input-notify_phone", "12ab")
    page.click("#save")
    expect(page.locator("#error-notify_email")).to_contain_text("email")
    expect(page.locator("#error-notify_phone")).not_to_be_empty()
    expect(page.locator("#field-notify_phone")).to_have_class(re.compile("invalid"))

    # An error about one item of a list (`channels.0`) goes next to its list, not above the form.
    page.fill("#input-notify_email", "")
    page.fill("#input-notify_phone", "")
    page.locator("input[name=channels]").first.evaluate("box => { box.value = 'FAX'; box.checked = true; }")
    page.click("#save")
    expect(page.locator("#error-channels")).not_to_be_empty()
    expect(page.locator("#error-form")).to_be_empty()

    page.reload()
    expect(page.locator("#activate")).to_be_visible()
    for box in page.locator("input[type=checkbox]").all():
        box.uncheck()
    page.fill("#input-notify_email", "")
    page.fill("#input-notify_phone", "")
    page.click("#activate")  # the edits are saved first, then activation is refused by R2
    expect(page.locator("#error-sources")).to_contain_text("source")
    expect(page.locator("#error-channels")).to_contain_text("channel")
    expect(page.locator("#error-notify_email")).to_contain_text("notification")
    expect(page.locator("#field-sources")).to_have_attribute("aria-describedby", "error-sources")
    expect(page.locator("#activation-state")).to_have_text("Automatic dispatch is off.")


def test_r1_a_phone_typed_as_users_type_it_is_stored_as_e164(tenant_view: TenantView, page: Page) -> None:
    tenant = tenant_view.own_tenant("kahvila", "kahvila-phone")
    tenant_view.open(page, tenant, "settings", language="fi")
    page.fill("#input-notify_phone", "040 123 4567")
    with page.expect_request(lambda request: request.method == "PUT") as sent:
        page.click("#save")
    assert json.loads(sent.value.post_data or "{}")["notify_phone"] == "040 123 4567"
    expect(page.locator("#result")).to_have_text("Asetukset tallennettu.")
    page.reload()
    expect(page.locator("#input-notify_phone")).to_have_value("+358401234567")


def test_r2_activate_with_a_bad_phone_activates_nothing(tenant_view: TenantView, page: Page) -> None:
    """Edits saved first: refused, their error next to its field, and the old settings not activated."""
    tenant = tenant_view.own_tenant("kahvila", "kahvila-bad-phone")
    tenant_view.open(page, tenant, "settings", language="sv")
    page.uncheck("input[name=sources][value=API]")
    page.fill("#input-notify_phone", "040 12")
    page.click("#activate")
    expect(page.locator("#error-notify_phone")).not_to_be_empty()
    expect(page.locator("#field-notify_phone")).to_have_class(re.compile("invalid"))
    expect(page.locator("#error-form")).to_be_empty()
    expect(page.locator("#activation-state")).to_have_text("Automatisk utskick är av.")
    page.reload()
    expect(page.locator("#activation-state")).to_have_text("Automatisk utskick är av.")
    expect(page.locator("input[name=sources][value=API]")).to_be_checked()  # nothing saved either


@pytest.mark.parametrize(("language", "words"), [("sv", "telefonnummer"), ("fi", "puhelinnumero")])
def test_r30_a_bad_phone_is_refused_next_to_its_field_in_the_users_language(
    tenant_view: TenantView, page: Page, language: str, words: str
) -> None:
    tenant = tenant_view.own_tenant("kahvila", f"kahvila-phone-{language}")
    tenant_view.open(page, tenant, "settings", language=language)
    page.fill("#input-notify_phone", "040 12")
    page.click("#save")
    expect(page.locator("#error-notify_phone")).to_contain_text(words)
    expect(page.locator("#error-notify_phone")).not_to_contain_text("phone")


SETTINGS_WORDS = {
    "sv": {
        "legends": [
            "Skicka automatiskt fakturor vars källa är",
            "Använd endast följande fakturakanaler",
            "Utskickstid",
        ],
        "timings": ["Skicka fakturor efter att de skapats", "Skicka fakturor baserat på fakturadatum"],
        "consumer_einvoicing": "Konsument-e-fakturering",
        "language": "Meddelandenas språk",
        "activate": "Aktivera",
        "off": "Automatisk utskick är av.",
        "on since": "Automatisk utskick är på sedan",
        "activated": "Inställningarna sparade och automatisk utskick aktiverad.",
        "deactivated": "Automatisk utskick avaktiverad.",
    },
    "fi": {
        "legends": [
            "Lähetä automaattisesti laskut, joiden lähde on",
            "Käytä vain seuraavia laskukanavia",
            "Lähetysajankohta",
        ],
        "timings": ["Lähetä laskut luontia seuraavana yönä", "Lähetä laskut laskun päivämäärän perusteella"],
        "consumer_einvoicing": "Kuluttajan verkkolaskutus",
        "language": "Ilmoitusten kieli",
        "activate": "Aktivoi",
        "off": "Automaattinen lähetys ei ole käytössä.",
        "on since": "Automaattinen lähetys on käytössä",
        "activated": "Asetukset tallennettu ja automaattinen lähetys aktivoitu.",
        "deactivated": "Automaattinen lähetys poistettu käytöstä.",
    },
}


@pytest.mark.parametrize("language", ["sv", "fi"])
def test_r2_r4_activate_saves_the_edited_settings_in_one_click(
    tenant_view: TenantView, page: Page, language: str
) -> None:
    """The settings as the guide words them, and its story: a new user edits the form and activates
    in one click; what is activated is what was edited, the phone as typed stored as E.164."""
    words = SETTINGS_WORDS[language]
    tenant = tenant_view.own_tenant(
        "tilitoimisto", f"tilitoimisto-story-{language}", sources=["MANUAL"], notify_phone=None
    )
    tenant_view.open(page, tenant, "settings", language=language)
    expect(page.locator("fieldset legend")).to_have_text(words["legends"])
    expect(page.locator("#field-timing label")).to_have_text(words["timings"], use_inner_text=True)
    expect(page.locator("#field-consumer_einvoicing label")).to_have_text(
        words["consumer_einvoicing"], use_inner_text=True
    )
    expect(page.locator("#field-language label")).to_have_text(words["language"])
    expect(page.locator("#activation-state")).to_have_text(words["off"])
    expect(page.locator("form button").last).to_have_text(words["activate"])  # at the end of the form

    page.check("input[name=sources][value=API]")
    page.check("input[name=timing][value=CREATION_DATE]")
    page.check("#input-consumer_einvoicing")
    page.select_option("#input-language", language)
    page.fill("#input-notify_phone", "040 123 4567")
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request) if "/api/tenants/" in request.url else None)
    page.click("#activate")
    expect(page.locator("#result")).to_have_text(words["activated"])
    expect(page.locator("#activation-state")).to_contain_text(words["on since"])
    assert [request.method for request in requests][:2] == ["PUT", "POST"]

    page.reload()  # what was activated is what was edited
    expect(page.locator("input[name=sources][value=API]")).to_be_checked()
    expect(page.locator("input[name=timing][value=CREATION_DATE]")).to_be_checked()
    expect(page.locator("#input-consumer_einvoicing")).to_be_checked()
    expect(page.locator("#input-language")).to_have_value(language)
    expect(page.locator("#input-notify_phone")).to_have_value("+358401234567")

    page.click("#deactivate")
    expect(page.locator("#result")).to_have_text(words["deactivated"])
    expect(page.locator("#activation-state")).to_have_text(words["off"])


def test_r19_r30_the_history_names_each_deliverys_route_in_the_readers_language(
    tenant_view: TenantView, page: Page
) -> None:
    """The route comes from the API, named by the catalogue (no copy of the labels in the page)."""
    tenant_view.open(page, "kahvila", language="sv")
    page.goto(f"{tenant_view.url}#/invoice/k-1011")  # the demo's customer on Peppol
    sent = page.locator('ol.history li[data-event="SENT"]')
    expect(sent).to_contain_text("(E-faktura till företag eller konsument, Peppol BIS Billing 3.0)")
    page.goto(f"{tenant_view.url}#/invoice/k-1001")
    expect(sent).to_contain_text("(E-faktura till företag eller konsument, Finvoice 3.0)")


def test_r27_another_tenants_user_sees_only_its_own_invoices(tenant_view: TenantView, page: Page) -> None:
    tenant_view.open(page, "tilitoimisto")
    rows = page.locator("table.invoices tbody tr")
    expect(rows.first).to_be_visible()
    invoice_ids = [item.get_attribute("data-invoice") for item in rows.all()]
    assert invoice_ids
    assert all(str(invoice_id).startswith("t-") for invoice_id in invoice_ids)


def test_r28_finnish_labels_dates_and_the_api_asked_in_finnish(tenant_view: TenantView, page: Page) -> None:
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request) if "/api/" in request.url else None)
    tenant_view.open(page, "kahvila", language="fi")
    expect(page.locator("h2")).to_have_text("Avoimet myyntilaskut")
    expect(row(page, FAILED).locator(".badge")).to_have_text("Epäonnistui")
    expect(page.locator("th.col-channel")).to_have_text("Laskukanava")
    page.goto(f"{tenant_view.url}#/invoice/k-1001")
    expect(page.locator("ol.history time").first).to_have_text(re.compile(r"\d{1,2}\.\d{1,2}\.2026"))
    assert requests
    for request in requests:
        assert "lang=fi" in request.url
        assert request.headers.get("accept-language") == "fi"


@pytest.mark.parametrize(
    ("language", "tenant", "invoice_id", "words", "reasons"),
    [
        (
            "sv",
            "kahvila",
            FAILED,
            "Automatisk utskick misslyckades",
            [
                "1. E-postfaktura (kan inte användas): kunden har ingen e-postadress",
                "2. Utskriftstjänst (kan inte användas): kundens adressuppgifter är ofullständiga för ett "
                "brev (saknas: postadress)",
            ],
        ),
        (
            "sv",
            "tilitoimisto",
            IGNORED_ELSEWHERE,
            "Automatisk utskick ignorerad",
            [
                "fakturans fakturakanal ”E-postfaktura” är inte aktiverad i inställningen ”Använd endast "
                "följande fakturakanaler”. Ingenting skickades; skicka fakturan manuellt."
            ],
        ),
        (
            "fi",
            "tilitoimisto",
            FAILED_ELSEWHERE,
            "Automaattinen lähetys epäonnistui",
            [
                "1. Verkkolasku yritykselle tai kuluttajalle (ei voida käyttää): asiakkaalla ei ole "
                "verkkolaskuosoitetta ja operaattoria",
                "2. Sähköpostilasku (ei käytössä): ei käytössä asetuksessa ”Käytä vain seuraavia "
                "laskukanavia”, joten ketju päättyy",
            ],
        ),
        (
            "fi",
            "tilitoimisto",
            IGNORED_ELSEWHERE,
            "Automaattinen lähetys ohitettu",
            [
                "laskun lähetystapa ”Sähköpostilasku” ei ole käytössä asetuksessa ”Käytä vain seuraavia "
                "laskukanavia”. Mitään ei lähetetty; lähetä lasku manuaalisesti."
            ],
        ),
    ],
)
def test_r19_the_explanation_speaks_the_guides_words(
    tenant_view: TenantView,
    page: Page,
    language: str,
    tenant: str,
    invoice_id: str,
    words: str,
    reasons: list[str],
) -> None:
    """The tooltip: the guide's headline, then each channel the chain considered with its reason, in
    the page's language."""
    tenant_view.open(page, tenant, language=language)
    message = row(page, invoice_id).locator("button.message")
    expect(message).to_have_text(re.compile(f"^{words}"))
    message.hover()
    tooltip = page.locator(f"#{message.get_attribute('aria-describedby')}")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text(re.compile(f"^{words}: "))
    for reason in reasons:
        expect(tooltip).to_contain_text(reason)
    expect(tooltip).not_to_contain_text("Automatic dispatch")
    expect(tooltip).not_to_contain_text(re.compile(r"\b(EINVOICE|EMAIL|PRINT|R\d+)\b"))


def _answer_with(page: Page, pattern: str, change: Callable[[dict[str, Any]], None]) -> None:
    """The API's real answer to requests matching `pattern`, changed by `change` on its way."""

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        change(body)
        route.fulfill(response=response, json=body)

    page.route(pattern, handle)


def test_r19_the_list_shows_the_apis_display_state_and_the_unsent_invoices_own_channel(
    tenant_view: TenantView, page: Page
) -> None:
    """The three kinds of "sent" as the API tells them apart: by the first night's run (k-1001),
    imported as sent (k-1006) and sent manually (this test's own copy, sent through the CLI)."""
    sent_manually = tenant_view.own_invoice(PENDING, "k-2003")
    cli("invoices", "send", "--tenant", "kahvila", sent_manually, "--channel", "EMAIL")
    tenant_view.open(page, "kahvila", language="sv")
    expect(row(page, "k-1001").locator(".badge")).to_have_text("Skickad")
    expect(row(page, sent_manually).locator(".badge")).to_have_text("Skickad manuellt")
    expect(row(page, "k-1006").locator(".badge")).to_have_text("Importerad som skickad")
    # Unsent invoices show their own channel, where dispatch starts; a sent one the one it went by.
    expect(row(page, PENDING).locator(".col-channel")).to_have_text("E-postfaktura")
    expect(row(page, FAILED).locator(".col-channel")).to_have_text("E-postfaktura")
    expect(row(page, "k-1001").locator(".col-channel")).to_have_text("E-faktura till företag eller konsument")

    # The filter offers the API's display states, in the page's language, and the API filters by them.
    offered = page.locator("#state-filter option").evaluate_all("options => options.map(o => o.value)")
    assert offered == [
        "",
        "PENDING",
        "SENT",
        "SENT_MANUALLY",
        "IMPORTED_AS_SENT",
        "IGNORED",
        "FAILED",
        "REMOVED",
    ]
    page.select_option("#state-filter", "SENT_MANUALLY")
    expect(row(page, "k-1001")).to_have_count(0)
    expect(row(page, sent_manually)).to_be_visible()
    for badge in page.locator("table.invoices tbody .badge").all():
        expect(badge).to_have_text("Skickad manuellt")
    page.select_option("#state-filter", "IMPORTED_AS_SENT")
    expect(page.locator("table.invoices tbody tr")).to_have_count(1)
    expect(row(page, "k-1006")).to_be_visible()


def test_r3_r28_an_invoice_whose_source_is_not_taken_says_so_in_words(
    tenant_view: TenantView, page: Page
) -> None:
    tenant_view.open(page, "tilitoimisto", language="fi")  # t-504: contract billing, not chosen
    expect(row(page, "t-504").locator(".preview")).to_have_text(
        "Seuraavana yönä: Mikään ajo ei ota sitä: laskun lähdettä ”Sopimuslaskutus” ei ole valittu "
        "asetuksessa ”Lähetä automaattisesti laskut, joiden lähde on”"
    )


def test_r20_the_invoice_offers_the_actions_the_api_allows(tenant_view: TenantView, page: Page) -> None:
    # Whatever the states would suggest, the server's list decides.
    _answer_with(
        page,
        f"**/api/tenants/kahvila/invoices/{FAILED}?*",
        lambda body: body.update(actions=["restore_auto"]),
    )
    tenant_view.open(page, "kahvila", f"invoice/{FAILED}")
    expect(page.locator("#restore-auto")).to_be_visible()
    expect(page.locator("#send-now")).to_have_count(0)
    expect(page.locator("#remove-auto")).to_have_count(0)
    page.unroute(f"**/api/tenants/kahvila/invoices/{FAILED}?*")
    _answer_with(page, f"**/api/tenants/kahvila/invoices/{FAILED}?*", lambda body: body.update(actions=[]))
    page.reload()
    expect(page.locator("h2 .badge")).to_have_text("Failed")
    expect(page.locator(".actions button")).to_have_count(0)
