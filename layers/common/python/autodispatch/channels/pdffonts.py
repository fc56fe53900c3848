"""The embedded Unicode fonts, shipped in `fonts/` with their licences, prepared once per process:
DejaVu Sans (regular and bold) for the text, and for characters DejaVu lacks, in this order, Droid
Sans Fallback (Chinese, Japanese kana and kanji, and the like), NanumGothic (Hangul) and Symbola
(emoji up to Unicode 9, mathematical alphanumerics and other symbols). What none of them has is
refused at import (`models/printable.py`, generated from these fonts by `python -m
autodispatch.channels.pdffonts`).

fpdf2 parses the whole TTF in `add_font` and subsets it with fontTools in `output`: about 170 ms
per document for DejaVu Sans regular and bold. Instead, each face is parsed once; a document gets
a copy of the parsed face with its own glyph map, and before output the face's font program is
swapped for a small pre-subset holding the common characters plus whatever else the document
uses (cached by that extra set), so fpdf2's own subsetting works on a few hundred glyphs. The
embedded result is the same font data, only cheaper to make.

The fallback faces go further (Droid Sans Fallback alone is 4 MB with 49,000 glyphs), as every
new customer name would miss that cache and fontTools' subsetter takes about 250 ms on it whatever
it keeps: they are parsed on the first text that needs one, a face is put into a document only
when one of the document's texts needs it (so documents DejaVu covers pay nothing and embed
nothing more), and its pre-subset is assembled directly from the parsed tables, keeping only the
glyphs the document uses (a few ms).

This relies on fpdf2's TTFFont internals (`subset`, `ttfont`, `i`, `cmap`), pinned in requirements
and covered by the channel tests.
"""

import copy
import threading
from collections.abc import Iterable
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fontTools.ttLib.tables.DefaultTable import DefaultTable
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Regular only: bold text falls back to them too. A character is drawn from the first that has it.
FALLBACK_FILES = {
    "DroidSansFallback": "DroidSansFallbackFull.ttf",
    "NanumGothic": "NanumGothic.ttf",
    "Symbola": "Symbola.ttf",
}
# What nearly every invoice prints; a document needing only these never misses the cache.
_COMMON_TEXT = (
    "".join(chr(code) for code in range(0x20, 0x7F))
    + "".join(chr(code) for code in range(0xA0, 0x100))
    + "€–—‘’‚“”„…•−ŠšŽžŒœŸ"
)
REPLACEMENT = "\ufffd"
# The fallback font's tables that its pre-subset copies as they are (the hinting ones are a few
# bytes); vertical metrics and layout tables are left out, as fpdf2 writes horizontal text only.
_FALLBACK_TABLES = ("head", "hhea", "maxp", "OS/2", "name", "post", "cvt ", "fpgm", "prep")


class _Face:
    def __init__(self, family: str, style: str, path: Path, common_text: str = _COMMON_TEXT) -> None:
        self.family = family
        self.style = style
        self.fontkey = f"{family.lower()}{style}"
        self.data = path.read_bytes()
        scratch = FPDF()
        scratch.add_font(family, style, str(path))
        prototype = scratch.fonts[self.fontkey]
        assert isinstance(prototype, TTFFont)
        self.prototype = prototype
        self.common = frozenset(
            prototype.cmap[ord(char)] for char in common_text if ord(char) in prototype.cmap
        )
        self.subset_program = lru_cache(maxsize=64)(self._subset_program)

    def install(self, pdf: FPDF) -> None:
        """What `add_font` does, minus parsing the file again."""
        font = copy.copy(self.prototype)
        # Never the prototype's own font program: fpdf2's output subsets and closes it in place.
        font.ttfont = ttLib.TTFont(BytesIO(self.data), lazy=True, recalcTimestamp=False)
        font.i = len(pdf.fonts) + 1
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[self.fontkey] = font

    def prepare_output(self, pdf: FPDF) -> None:
        font = pdf.fonts.get(self.fontkey)
        if not isinstance(font, TTFFont):
            return
        extra = frozenset(font.subset.get_all_glyph_names()) - self.common
        # recalcBBoxes=False: fontTools would otherwise decompile every glyph to recompute boxes
        # that the subset already carries.
        font.ttfont = ttLib.TTFont(
            BytesIO(self.subset_program(extra)), lazy=True, recalcTimestamp=False, recalcBBoxes=False
        )

    def _subset_program(self, extra: frozenset[str]) -> bytes:
        font = ttLib.TTFont(BytesIO(self.data), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        # Glyph names must survive: fpdf2 maps the document's glyphs by name.
        options = ftsubset.Options(
            notdef_outline=True, recommended_glyphs=True, glyph_names=True, hinting=False, layout_features=[]
        )
        options.drop_tables += ["kern", "GSUB", "GPOS", "GDEF", "FFTM", "MATH", "gasp"]
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(glyphs=sorted(self.common | extra))
        subsetter.subset(font)
        buffer = BytesIO()
        font.save(buffer)
        return buffer.getvalue()


class _FallbackFace(_Face):
    """The CJK fallback: too big for fontTools' subsetter per document, so its pre-subset is built
    from the prototype's parsed tables, holding `.notdef` and the glyphs used (with the parts of
    composite glyphs), named as in the full font."""

    def __init__(self, family: str, path: Path) -> None:
        super().__init__(family, "", path, common_text="")
        # The prototype's font program stays parsed and is only ever read: once here, then (under
        # the caller's lock, as all rendering) to copy glyphs out of it.
        master = self.prototype.ttfont
        self.glyph_ids = master.getReverseGlyphMap()
        # As stored in the file: recompiling the parsed ones would recompute bounds over every glyph.
        self.tables = {tag: master.reader[tag] for tag in _FALLBACK_TABLES if tag in master.reader}
        self.metrics = master["hmtx"].metrics
        self.glyphs = master["glyf"]
        self.codes: dict[str, list[int]] = {}
        for code, name in sorted(self.prototype.cmap.items()):
            self.codes.setdefault(name, []).append(code)
        # Control characters (U+0000) are never drawn from it.
        self.coverage = frozenset(code for code in self.prototype.cmap if code >= 0x20)

    def _subset_program(self, extra: frozenset[str]) -> bytes:
        glyf = self.glyphs
        # The stored glyphs, read without expanding them (`glyf[name]` would).
        stored = glyf.glyphs
        keep = {".notdef", *extra}
        pending = sorted(keep)
        while pending:
            glyph = stored[pending.pop()]
            if glyph.isComposite():
                components = set(glyph.getComponentNames(glyf)) - keep
                keep |= components
                pending += sorted(components)
        order = sorted(keep, key=self.glyph_ids.__getitem__)

        font = ttLib.TTFont(recalcBBoxes=False, recalcTimestamp=False)
        font.setGlyphOrder(order)
        for tag, data in self.tables.items():
            table = ttLib.newTable(tag)
            table.decompile(data, font)
            font[tag] = table
        font["maxp"].numGlyphs = len(order)
        # Glyph names must survive (fpdf2 maps the document's glyphs by name): spelled out in
        # `post` rather than derived from the cmap, which the subset shrinks.
        post = font["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        glyf_table = ttLib.newTable("glyf")
        glyf_table.glyphOrder = order
        glyf_table.glyphs = {}
        for name in order:
            # A new glyph from the stored bytes, written back as they are; a composite one names
            # its parts, which compiling renumbers for this subset.
            glyph = Glyph(stored[name].compile(glyf, recalcBBoxes=False))
            if glyph.isComposite():
                glyph.expand(glyf)
            glyf_table.glyphs[name] = glyph
        font["glyf"] = glyf_table
        font["loca"] = ttLib.newTable("loca")
        hmtx = ttLib.newTable("hmtx")
        hmtx.metrics = {name: self.metrics[name] for name in order}
        font["hmtx"] = hmtx
        font["cmap"] = self._cmap({code: name for name in order for code in self.codes.get(name, ())})
        buffer = BytesIO()
        font.save(buffer)
        return buffer.getvalue()

    @staticmethod
    def _cmap(mapping: dict[int, str]) -> DefaultTable:
        cmap = ttLib.newTable("cmap")
        cmap.tableVersion = 0
        cmap.tables = []
        subtables = [(4, 1, {code: name for code, name in mapping.items() if code <= 0xFFFF})]
        if any(code > 0xFFFF for code in mapping):
            subtables.append((12, 10, mapping))
        for format_, encoding, codes in subtables:
            subtable = CmapSubtable.newSubtable(format_)
            subtable.platformID, subtable.platEncID, subtable.language = 3, encoding, 0
            subtable.cmap = codes
            cmap.tables.append(subtable)
        return cmap


class CharWidths(dict[str, float]):
    """Each character's advance in thousandths of an em as drawn in one style: from that face when
    it has the glyph, else from the fallback face that draws it (as `_Document.cells` draws it).
    Filled on first use of a character and kept for the process, so measuring a text is one dict
    lookup per character instead of fpdf2's per-call work."""

    def __init__(self, face: _Face, fonts: "EmbeddedFonts") -> None:
        super().__init__()
        self.cmap = face.prototype.cmap
        self.own = face.prototype.cw
        self.fonts = fonts

    def __missing__(self, char: str) -> float:
        code = ord(char)
        if code in self.cmap:
            width = self.own[code]
        else:
            fallback = self.fonts.fallback_for(char)
            width = 0.0 if fallback is None else fallback.prototype.cw[code]
        self[char] = width
        return width


class FallbackIndex(dict[str, int]):
    """The index of the first fallback face that has each character, -1 when none has it. Kept
    for the process, as `CharWidths`."""

    def __init__(self, fonts: "EmbeddedFonts") -> None:
        super().__init__()
        self.fonts = fonts

    def __missing__(self, char: str) -> int:
        code = ord(char)
        index = next((i for i, face in enumerate(self.fonts.fallbacks) if code in face.coverage), -1)
        self[char] = index
        return index


class Drawer(dict[str, int]):
    """Which face draws each character in one style: -1 for the style's own face (or for none,
    once `renderable` replaced the character), else the index of the fallback face
    (`EmbeddedFonts.fallback_index`). Kept for the process, as `CharWidths`."""

    def __init__(self, own: frozenset[str], fonts: "EmbeddedFonts") -> None:
        super().__init__()
        self.own = own
        self.fonts = fonts

    def __missing__(self, char: str) -> int:
        index = -1 if char in self.own else self.fonts.fallback_index[char]
        self[char] = index
        return index


class EmbeddedFonts:
    """DejaVu Sans regular and bold, ready to put into any number of documents, and the fallback
    fonts for the characters they lack, each put into the documents that need it."""

    def __init__(self) -> None:
        self.faces = [_Face(FAMILY, style, FONT_DIR / name) for style, name in _FILES.items()]
        covered = [set(face.prototype.cmap) for face in self.faces]
        self.coverage: frozenset[int] = frozenset(set.intersection(*covered))
        # The same as characters, so that whole texts are checked by one set operation.
        self.covered_chars = frozenset(map(chr, self.coverage))
        self.own_chars = {face.style: frozenset(map(chr, face.prototype.cmap)) for face in self.faces}
        self._fallbacks: list[_FallbackFace] = []
        self._loading = threading.Lock()
        self.widths = {face.style: CharWidths(face, self) for face in self.faces}
        self.fallback_index = FallbackIndex(self)
        self.drawers = {style: Drawer(own, self) for style, own in self.own_chars.items()}

    @property
    def fallbacks(self) -> list[_FallbackFace]:
        """Parsed on first use (about 0.7 s of CPU for the three), so processes that never meet such text
        never pay."""
        if not self._fallbacks:
            with self._loading:
                if not self._fallbacks:
                    self._fallbacks = [
                        _FallbackFace(family, FONT_DIR / name) for family, name in FALLBACK_FILES.items()
                    ]
        return self._fallbacks

    def fallback_for(self, char: str) -> "_FallbackFace | None":
        """The first fallback face that has `char`, if any."""
        index = self.fallback_index[char]
        return None if index < 0 else self.fallbacks[index]

    def install(self, pdf: FPDF) -> None:
        for face in self.faces:
            face.install(pdf)

    def use(self, pdf: FPDF, text: str) -> str:
        """`renderable(text)`, putting the fallback fonts into `pdf` that the text needs."""
        if self.covered_chars.issuperset(text):
            return text
        outside = set(text)
        outside -= self.covered_chars
        outside.discard("\n")
        wanted = set(map(self.fallback_index.__getitem__, outside))
        if -1 in wanted:
            text = self.renderable(text)
            wanted.discard(-1)
        added = [self.fallbacks[index] for index in sorted(wanted)]
        added = [face for face in added if face.fontkey not in pdf.fonts]
        for face in added:
            face.install(pdf)
        if added:
            installed = [face.family for face in self.fallbacks if face.fontkey in pdf.fonts]
            pdf.set_fallback_fonts(installed, exact_match=False)
        return text

    def prepare_output(self, pdf: FPDF) -> None:
        for face in [*self.faces, *self._fallbacks]:
            face.prepare_output(pdf)

    def renderable(self, text: str) -> str:
        """Characters no embedded font has become U+FFFD instead of silently vanishing (import
        refuses them: this is for data that reached a run some other way)."""
        if self.covered_chars.issuperset(text):
            return text
        for char in self.missing([text]):
            text = text.replace(char, REPLACEMENT)
        return text

    def missing(self, texts: Iterable[str]) -> set[str]:
        outside = set().union(*texts)
        outside -= self.covered_chars
        outside.discard("\n")
        return {char for char in outside if self.fallback_for(char) is None}

    def printable_codes(self) -> list[int]:
        """Every code point a document can draw, less control characters and U+FFFD (in input it
        says the text was broken before it reached us, and the PDF's text would not read back)."""
        codes = set(self.coverage).union(*(face.coverage for face in self.fallbacks))
        codes.discard(ord(REPLACEMENT))
        return sorted(code for code in codes if code >= 0x20 and not 0x7F <= code < 0xA0)


@cache
def embedded_fonts() -> EmbeddedFonts:
    """Built on first use (about 0.1 s), never at import."""
    return EmbeddedFonts()


def printable_module() -> str:
    """The source of `models/printable.py`: the code point ranges the embedded fonts draw."""
    codes = embedded_fonts().printable_codes()
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    rows = "".join(f"    (0x{first:X}, 0x{last:X}),\n" for first, last in ranges)
    return (
        '"""The characters the invoice documents can print: the code point ranges the embedded fonts\n'
        "(channels/fonts) draw. Generated by `python -m autodispatch.channels.pdffonts`; a unit test\n"
        'keeps it equal to the fonts."""\n\n'
        f"PRINTABLE_RANGES: tuple[tuple[int, int], ...] = (\n{rows})\n"
    )


if __name__ == "__main__":
    print(printable_module(), end="")
