"""R30: one catalogue. Every message id has its translation in fi, sv and en, the compiled
catalogues are those of the .po files, and every message's text is pinned in all three languages
(golden file); the Swedish IGNORED/FAILED headlines are the guide's words (GLOSSARY.md)."""

import gettext
import json
import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from autodispatch.i18n import render
from autodispatch.i18n.catalogue import MESSAGES
from autodispatch.i18n.render import DOMAIN, LOCALES
from autodispatch.models.enums import Channel, Language
from autodispatch.models.text import Text, channel_label

GOLDEN = Path(__file__).parent / "golden" / "messages.json"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _po(language: Language):
    with (LOCALES / language.value / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po)


@pytest.mark.parametrize("language", list(Language))
def test_r30_every_message_id_has_a_translation(language):
    catalogue = _po(language)
    translated = {message.id: message.string for message in catalogue if message.id}
    missing = [msgid for msgid in MESSAGES.values() if not translated.get(msgid)]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert (missing, fuzzy) == ([], [])
    # And nothing in the catalogue that the code no longer says.
    assert set(translated) == set(MESSAGES.values())


@pytest.mark.parametrize("language", list(Language))
def test_r30_translations_keep_every_placeholder(language):
    for message in _po(language):
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), (
                message.id
            )


@pytest.mark.parametrize("language", list(Language))
def test_r30_compiled_catalogue_is_the_po_file(language):
    """`make catalogue` compiles the .mo files; a stale one fails here."""
    with (LOCALES / language.value / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in _po(language):
        if message.id:
            assert compiled.gettext(message.id) == message.string, message.id


@pytest.mark.parametrize(
    ("language", "ignored", "failed"),
    [
        ("sv", "Automatisk utskick ignorerad", "Automatisk utskick misslyckades"),
        ("fi", "Automaattinen lähetys ohitettu", "Automaattinen lähetys epäonnistui"),
        ("en", "Automatic dispatch ignored", "Automatic dispatch failed"),
    ],
)
def test_r19_headlines_are_the_glossarys_words(language, ignored, failed):
    assert render(Text.of("headline.IGNORED"), language) == ignored
    assert render(Text.of("headline.FAILED"), language) == failed


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("sv", ["E-faktura till företag eller konsument", "E-postfaktura", "Utskriftstjänst"]),
        ("fi", ["Verkkolasku yritykselle tai kuluttajalle", "Sähköpostilasku", "Tulostuspalvelu"]),
        ("en", ["E-invoice to a business or consumer", "Email invoice", "Print service"]),
    ],
)
def test_r30_channels_read_as_the_settings_label_them(language, labels):
    assert [render(channel_label(channel), language) for channel in Channel] == labels


def _golden() -> dict[str, dict[str, str]]:
    """Every message code rendered in each language, its parameters shown as `<name>`."""
    return {
        code: {
            language.value: render(
                Text.of(code, **{name: f"<{name}>" for name in PLACEHOLDER.findall(msgid)}), language
            )
            for language in Language
        }
        for code, msgid in sorted(MESSAGES.items())
    }


def test_r30_every_message_reads_as_pinned_in_fi_sv_and_en():
    """A changed word is a reviewed change: regenerate with AUTODISPATCH_GOLDEN=write and read the diff."""
    rendered = _golden()
    if os.environ.get("AUTODISPATCH_GOLDEN") == "write":
        GOLDEN.write_text(json.dumps(rendered, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert rendered == json.loads(GOLDEN.read_text("utf-8"))
    # Internal names never reach a reader (R30).
    internal = re.compile(r"\b(EINVOICE|EMAIL|PRINT|CHANNEL_SKIPPED|NOT_ENABLED|DIRECT_PAYMENT|R\d+)\b")
    assert [text for texts in rendered.values() for text in texts.values() if internal.search(text)] == []
