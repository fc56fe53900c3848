"""The tenant view's labels: the `web` domain's gettext catalogues (one per language, beside the
server's own) written as the JSON files the page loads, `web/locales/<lang>.json`.

    python -m autodispatch_cli.web_catalogue           # write the JSON after editing a web.po
    python -m autodispatch_cli.web_catalogue --check   # exit 1 when a JSON file is stale

The page cannot read .po itself under its CSP-only-own-origin rule without a parser of its own; a
flat {msgid: text} file per language is what it needs, and the .po stays the one catalogue.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po

import autodispatch
from autodispatch_cli.local.web_server import WEB_DIR

LANGUAGES = ("fi", "sv", "en")
DOMAIN = "web"
LOCALES_DIR = Path(autodispatch.__file__).resolve().parent / "locales"


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def json_path(language: str, web_dir: Path = WEB_DIR) -> Path:
    return web_dir / "locales" / f"{language}.json"


def labels(language: str) -> dict[str, str]:
    """msgid -> translation of the language's web.po (an untranslated msgid maps to '')."""
    with po_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    return {str(message.id): str(message.string) for message in catalog if message.id}


def rendered(language: str) -> str:
    return json.dumps(labels(language), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def untranslated() -> list[str]:
    """'<lang>: <msgid>' of every msgid of any language that another language lacks or leaves empty."""
    catalogues = {language: labels(language) for language in LANGUAGES}
    every_id = sorted(set().union(*catalogues.values()))
    return [
        f"{language}: {msgid}"
        for language, catalogue in catalogues.items()
        for msgid in every_id
        if not catalogue.get(msgid)
    ]


def stale(web_dir: Path = WEB_DIR) -> list[Path]:
    """The JSON files that differ from what their web.po renders."""
    return [
        json_path(language, web_dir)
        for language in LANGUAGES
        if not json_path(language, web_dir).exists()
        or json_path(language, web_dir).read_text(encoding="utf-8") != rendered(language)
    ]


def write(web_dir: Path = WEB_DIR) -> None:
    for language in LANGUAGES:
        path = json_path(language, web_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered(language), encoding="utf-8")


def main(argv: list[str]) -> int:
    missing = untranslated()
    if missing:
        print("untranslated:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    if "--check" in argv:
        outdated = stale()
        for path in outdated:
            print(f"{path} is stale: run python -m autodispatch_cli.web_catalogue", file=sys.stderr)
        return 1 if outdated else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
