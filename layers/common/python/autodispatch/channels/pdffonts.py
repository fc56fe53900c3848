"""The embedded Unicode font (DejaVu Sans, shipped in `fonts/` with its licence), prepared once
per process.

fpdf2 parses the whole TTF in `add_font` and subsets it with fontTools in `output`: about 170 ms
per document for DejaVu Sans regular and bold. Instead, each face is parsed once; a document gets
a copy of the parsed face with its own glyph map, and before output the face's font program is
swapped for a small pre-subset holding the common characters plus whatever else the document
uses (cached by that extra set), so fpdf2's own subsetting works on a few hundred glyphs. The
embedded result is the same font data, only cheaper to make (issue 3, item 8).

This relies on fpdf2's TTFFont internals (`subset`, `ttfont`, `i`), pinned in requirements and
covered by the channel tests.
"""

import copy
from collections.abc import Iterable
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# What nearly every invoice prints; a document needing only these never misses the cache.
_COMMON_TEXT = (
    "".join(chr(code) for code in range(0x20, 0x7F))
    + "".join(chr(code) for code in range(0xA0, 0x100))
    + "€–—‘’‚“”„…•−ŠšŽžŒœŸ"
)
REPLACEMENT = "\ufffd"


class _Face:
    def __init__(self, style: str, path: Path) -> None:
        self.style = style
        self.fontkey = f"{FAMILY.lower()}{style}"
        self.data = path.read_bytes()
        scratch = FPDF()
        scratch.add_font(FAMILY, style, str(path))
        prototype = scratch.fonts[self.fontkey]
        assert isinstance(prototype, TTFFont)
        self.prototype = prototype
        self.common = frozenset(
            prototype.cmap[ord(char)] for char in _COMMON_TEXT if ord(char) in prototype.cmap
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


class EmbeddedFonts:
    """DejaVu Sans regular and bold, ready to put into any number of documents."""

    def __init__(self) -> None:
        self.faces = [_Face(style, FONT_DIR / name) for style, name in _FILES.items()]
        covered = [set(face.prototype.cmap) for face in self.faces]
        self.coverage: frozenset[int] = frozenset(set.intersection(*covered))

    def install(self, pdf: FPDF) -> None:
        for face in self.faces:
            face.install(pdf)

    def prepare_output(self, pdf: FPDF) -> None:
        for face in self.faces:
            face.prepare_output(pdf)

    def renderable(self, text: str) -> str:
        """Characters the font lacks (e.g. CJK) become U+FFFD instead of silently vanishing."""
        coverage = self.coverage
        if all(ord(char) in coverage for char in text):
            return text
        return "".join(char if ord(char) in coverage or char == "\n" else REPLACEMENT for char in text)

    def missing(self, texts: Iterable[str]) -> set[str]:
        return {char for text in texts for char in text if ord(char) not in self.coverage and char != "\n"}


@cache
def embedded_fonts() -> EmbeddedFonts:
    """Built on first use (about 0.1 s), never at import."""
    return EmbeddedFonts()
