"""The English catalogue says each message id as it is: after `pybabel update` has added new ids
with empty translations, this fills the English ones with their id (`make catalogue`, R30).

    python -m autodispatch_cli.english_catalogue

Finnish and Swedish stay empty until translated by hand, and tests/unit/test_catalogue.py fails
until they are.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po

from autodispatch.i18n.render import DOMAIN, LOCALES


def fill_english() -> int:
    """Write every empty English translation as its message id; the number filled."""
    path = LOCALES / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="en", domain=DOMAIN)
    filled = 0
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
            filled += 1
    if filled:
        with path.open("wb") as po:
            write_po(po, catalog, width=0, no_location=True, sort_output=True)
    return filled


def main() -> int:
    fill_english()
    return 0


if __name__ == "__main__":
    sys.exit(main())
