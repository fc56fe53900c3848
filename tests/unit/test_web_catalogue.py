"""R28: the tenant view's labels come from one catalogue (the `web` domain's .po files), the JSON the
page loads is what that catalogue renders, every label is translated in fi, sv and en, every value the
API can show has a label, and the Swedish words are the guide's (GLOSSARY.md)."""

from pathlib import Path
from typing import Any

import pytest

from api import routes
from autodispatch_cli import web_catalogue
from autodispatch_cli.web_catalogue import LANGUAGES, labels

LIST_PATH = "/tenants/{tenant_id}/invoices"


def test_r28_the_pages_json_is_what_the_catalogue_renders() -> None:
    stale = web_catalogue.stale()
    assert stale == [], f"stale: {stale}; run python -m autodispatch_cli.web_catalogue"


def test_r28_every_label_is_translated_in_finnish_swedish_and_english() -> None:
    assert web_catalogue.untranslated() == []


def test_r28_a_stale_json_is_found(tmp_path: Path) -> None:
    web_catalogue.write(tmp_path)
    assert web_catalogue.stale(tmp_path) == []
    (tmp_path / "locales" / "sv.json").write_text("{}\n", encoding="utf-8")
    assert web_catalogue.stale(tmp_path) == [tmp_path / "locales" / "sv.json"]


def _enum(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The values of an enumeration, as the page's enums.js resolves them."""
    if "$ref" in schema:
        return _enum(document, document["components"]["schemas"][schema["$ref"].split("/")[-1]])
    alternatives = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if alternatives:
        return _enum(document, alternatives[0])
    if "items" in schema:
        return _enum(document, schema["items"])
    return list(schema["enum"])


def _shown_values() -> list[str]:
    """'<prefix>.<value>' of every enumerated value the page shows a label for."""
    document = routes.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True, mode="json")
    schemas = document["components"]["schemas"]
    settings = schemas["Settings"]["properties"]
    parameters = document["paths"][LIST_PATH]["get"]["parameters"]
    state_filter = next(parameter for parameter in parameters if parameter["name"] == "state")
    entry = schemas["InvoiceEntry"]["properties"]
    states = {*_enum(document, state_filter["schema"]), *_enum(document, entry["auto_dispatch"])}
    if "display_state" in entry:
        states |= set(_enum(document, entry["display_state"]))
    enumerations = {
        "source": _enum(document, settings["sources"]),
        "channel": _enum(document, settings["channels"]),
        "timing": _enum(document, settings["timing"]),
        "language": _enum(document, settings["language"]),
        "state": sorted(states),
        "event": _enum(document, schemas["HistoryEventKind"]),
    }
    return [f"{prefix}.{value}" for prefix, values in enumerations.items() for value in values]


@pytest.mark.parametrize("language", LANGUAGES)
def test_r28_every_value_the_api_enumerates_has_a_label(language: str) -> None:
    catalogue = labels(language)
    assert [msgid for msgid in _shown_values() if not catalogue.get(msgid)] == []


def test_r28_the_list_tells_apart_three_kinds_of_sent() -> None:
    for language in LANGUAGES:
        catalogue = labels(language)
        sent = {catalogue[f"state.{state}"] for state in ("SENT", "SENT_MANUALLY", "IMPORTED_AS_SENT")}
        assert len(sent) == 3


def test_r28_the_swedish_settings_speak_the_guides_words() -> None:
    swedish = labels("sv")
    assert swedish["settings.sources"] == "Skicka automatiskt fakturor vars källa är"
    assert swedish["settings.channels"] == "Använd endast följande fakturakanaler"
    assert swedish["settings.timing"] == "Utskickstid"
    assert swedish["timing.INVOICE_DATE"] == "Skicka fakturor baserat på fakturadatum"
    assert swedish["timing.CREATION_DATE"] == "Skicka fakturor efter att de skapats"
    assert swedish["activate"] == "Aktivera"
    assert swedish["invoices"] == "Öppna försäljningsfakturor"
    assert swedish["removeAuto"] == "Ta bort automatisk utskick"
    assert [swedish[f"source.{source}"] for source in ("CONTRACT_BILLING", "MANUAL", "REBILLING", "API")] == [
        "Avtalsfakturering",
        "Fakturor skapade av användaren",
        "Fakturor återfakturerade från inköpsfaktura",
        "Fakturor skapade via programvarugränssnittet",
    ]
    assert [swedish[f"channel.{channel}"] for channel in ("EINVOICE", "EMAIL", "PRINT")] == [
        "E-faktura till företag eller konsument",
        "E-postfaktura",
        "Utskriftstjänst",
    ]
    assert swedish["event.FAILED"] == "Automatisk utskick misslyckades"
    assert swedish["event.IGNORED"] == "Automatisk utskick ignorerad"
