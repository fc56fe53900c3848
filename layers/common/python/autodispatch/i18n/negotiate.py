"""Which of our languages (fi, sv, en) a reader asked for: an HTTP `Accept-Language` header with
its q-values (Babel's negotiation), or a POSIX locale such as `sv_FI.UTF-8`. English when none fits."""

from babel import Locale

from autodispatch.models.enums import Language

OFFERED = [language.value for language in Language]


def from_accept_language(header: str | None) -> Language:
    """`sv-FI;q=0.9, en;q=0.8` -> sv; a malformed or unmatched header -> en."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    preferred = [tag for _, _, tag in sorted(ranked)]
    chosen = Locale.negotiate(preferred, OFFERED, sep="-") if preferred else None
    return Language(chosen.language) if chosen is not None else Language.EN


def from_posix_locale(value: str | None) -> Language:
    """`sv_FI.UTF-8` -> sv; `C`, `POSIX` or any other language -> en."""
    code = (value or "").split(".")[0].split("_")[0].lower()
    return Language(code) if code in OFFERED else Language.EN
