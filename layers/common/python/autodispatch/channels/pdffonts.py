"""The embedded Unicode fonts, shipped in `fonts/` with their licences, prepared once per process:
DejaVu Sans (regular and bold) for the text, and for characters DejaVu lacks, in this order, Droid
Sans Fallback (Chinese, Japanese kana and kanji, and the like), NanumGothic (Hangul) and Symbola
(emoji up to Unicode 9, mathematical alphanumerics and other symbols). What none of them has is
refused at import (`models/printable.py`, generated from these fonts by `python -m
autodispatch.channels.pdffonts`).

Each face is parsed once per process (the fallback faces on the first text that needs one). A
document embeds only the faces its texts use, each as a TrueType subset of exactly the glyphs
drawn (and the parts of composite ones), assembled here from the stored tables and outlines
(`_Program`) rather than by fontTools' subsetter and fpdf2's font output, which took most of a
large invoice's time: about 45 ms to subset DejaVu Sans for a document whose characters missed a
cache of pre-subsets, and 250 ms for Droid Sans Fallback whatever it kept. Hinting instructions
are left out, as before (a PDF viewer scales outlines itself).

A character's code in the PDF (its CID) is its Unicode code point, so that a text is written by
encoding it as UTF-16BE; a character beyond the Basic Multilingual Plane gets a code of its own
in its face, computed from its code point by bytes (`_Face.high_bytes`). The ToUnicode map gives
every code its character back for search and copy.
"""

import copy
import struct
import sys
import threading
from array import array
from collections.abc import Callable, Iterable
from functools import cache, cached_property
from io import BytesIO
from pathlib import Path

from fontTools import ttLib
from fontTools.ttLib.sfnt import SFNTWriter
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import CIDSystemInfo, PDFFont, PDFFontStream, _build_cmap_blocks, _cid_font_widths
from fpdf.syntax import Name, PDFArray, PDFContentStream, PDFObject

FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Regular only: bold text falls back to them too. A character is drawn from the first that has it.
FALLBACK_FILES = {
    "DroidSansFallback": "DroidSansFallbackFull.ttf",
    "NanumGothic": "NanumGothic.ttf",
    "Symbola": "Symbola.ttf",
}
REPLACEMENT = "\ufffd"
# The tables a subset takes as stored (`hhea` and `maxp` with its glyph count set). With `head`,
# `name`, `post`, `cmap`, `glyf`, `loca` and `hmtx` written for it, they are what a PDF viewer
# needs of a TrueType font (ISO 32000-1, 9.9) and the names that identify it; layout and hinting
# tables are left out.
_COPIED_TABLES = ("OS/2", "hhea", "maxp")
# Simple glyph flags (OpenType `glyf`): a coordinate's size, or that it repeats the last one, and
# that the flag repeats.
_X_SHORT, _Y_SHORT, _REPEAT, _X_SAME, _Y_SAME = 0x2, 0x4, 0x8, 0x10, 0x20
# Composite glyph flags: argument size, the transform's size, more components follow,
# instructions follow.
_ARGS_ARE_WORDS, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO, _INSTRUCTIONS = 0x1, 0x8, 0x20, 0x40, 0x80, 0x100


class _Program:
    """One face's TrueType font program as stored, read once: the tables a subset copies, and
    each glyph's outline without its hinting instructions (cached per glyph for the process)."""

    def __init__(self, font: ttLib.TTFont) -> None:
        reader = font.reader
        self.tables = {tag: reader[tag] for tag in _COPIED_TABLES}
        head = bytearray(reader["head"])
        long_offsets = struct.unpack_from(">h", head, 50)[0] == 1
        struct.pack_into(">h", head, 50, 1)  # a subset's `loca` has long offsets
        self.head = bytes(head)
        # `post` without glyph names (format 3): the PDF names its glyphs by CID.
        self.post = b"\x00\x03\x00\x00" + reader["post"][4:32]
        # The names that identify the font (copyright, family, style, version) in English, for
        # Windows, as fontTools' subsetter keeps them; not the licence text.
        names = font["name"]
        names.names = [
            record
            for record in names.names
            if record.nameID <= 6 and (record.platformID, record.langID) == (3, 0x409)
        ]
        self.name = names.compile(font)
        loca = array("I" if long_offsets else "H", reader["loca"])
        if sys.byteorder == "little":
            loca.byteswap()
        self.loca = loca if long_offsets else array("I", (offset * 2 for offset in loca))
        self.outlines: bytes = reader["glyf"]
        self.hmtx: bytes = reader["hmtx"]
        self.long_metrics = struct.unpack_from(">H", self.tables["hhea"], 34)[0]
        self.glyphs: dict[int, tuple[bytes, tuple[tuple[int, int], ...]]] = {}

    def glyph(self, glyph_id: int) -> tuple[bytes, tuple[tuple[int, int], ...]]:
        """The outline without instructions, and a composite's (offset, glyph id) of each part."""
        found = self.glyphs.get(glyph_id)
        if found is None:
            found = self.glyphs[glyph_id] = self._read_glyph(glyph_id)
        return found

    def _read_glyph(self, glyph_id: int) -> tuple[bytes, tuple[tuple[int, int], ...]]:
        data = self.outlines[self.loca[glyph_id] : self.loca[glyph_id + 1]]
        if not data:
            return b"", ()
        contours = struct.unpack_from(">h", data)[0]
        if contours >= 0:
            # endPtsOfContours, then the instructions' length and the instructions.
            at = 10 + 2 * contours
            points = struct.unpack_from(">H", data, at - 2)[0] + 1 if contours else 0
            start = end = at + 2 + struct.unpack_from(">H", data, at)[0]
            # Then a flag per point (with repeats), and the points' coordinates: read to where they
            # end, leaving out the stored padding.
            coordinates = 0
            while points > 0:
                flag = data[end]
                repeat = 1 + (data[end + 1] if flag & _REPEAT else 0)
                end += 2 if flag & _REPEAT else 1
                coordinates += repeat * (1 if flag & _X_SHORT else 0 if flag & _X_SAME else 2)
                coordinates += repeat * (1 if flag & _Y_SHORT else 0 if flag & _Y_SAME else 2)
                points -= repeat
            return data[:at] + b"\0\0" + data[start : end + coordinates], ()
        parts: list[tuple[int, int]] = []
        at = 10
        while True:
            flags_at = at
            flags, part = struct.unpack_from(">HH", data, at)
            parts.append((at + 2, part))
            at += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
            at += 2 if flags & _SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
            if not flags & _MORE:
                break
        outline = bytearray(data[:at])
        struct.pack_into(">H", outline, flags_at, flags & ~_INSTRUCTIONS)
        return bytes(outline), tuple(parts)

    def _metric(self, glyph_id: int) -> bytes:
        """The glyph's advance width and left side bearing, as a long `hmtx` entry."""
        if glyph_id < self.long_metrics:
            return self.hmtx[4 * glyph_id : 4 * glyph_id + 4]
        last = 4 * (self.long_metrics - 1)
        bearing = 4 * self.long_metrics + 2 * (glyph_id - self.long_metrics)
        return self.hmtx[last : last + 2] + self.hmtx[bearing : bearing + 2]

    def subset(self, glyph_ids: dict[int, int]) -> tuple[bytes, dict[int, int]]:
        """A TrueType font holding `.notdef` and the glyphs of `glyph_ids` (code point -> glyph id
        in this font), with the parts of composite glyphs, in their order here; and each glyph's
        id in it."""
        keep = {0, *glyph_ids.values()}
        pending = list(keep)
        while pending:
            for _, part in self.glyph(pending.pop())[1]:
                if part not in keep:
                    keep.add(part)
                    pending.append(part)
        order = sorted(keep)
        new_ids = {old: new for new, old in enumerate(order)}
        outlines = bytearray()
        offsets = array("I")
        for old in order:
            offsets.append(len(outlines))
            data, parts = self.glyph(old)
            start = len(outlines)
            outlines += data
            for at, part in parts:
                struct.pack_into(">H", outlines, start + at, new_ids[part])
            outlines += b"\0" * (-len(outlines) % 4)
        offsets.append(len(outlines))
        if sys.byteorder == "little":
            offsets.byteswap()
        maxp = bytearray(self.tables["maxp"])
        struct.pack_into(">H", maxp, 4, len(order))
        hhea = bytearray(self.tables["hhea"])
        struct.pack_into(">H", hhea, 34, len(order))
        tables = {
            "OS/2": self.tables["OS/2"],
            "cmap": _cmap({code: new_ids[glyph] for code, glyph in glyph_ids.items()}),
            "glyf": bytes(outlines),
            "head": self.head,
            "hhea": bytes(hhea),
            "hmtx": b"".join(map(self._metric, order)),
            "loca": offsets.tobytes(),
            "maxp": bytes(maxp),
            "name": self.name,
            "post": self.post,
        }
        buffer = BytesIO()
        writer = SFNTWriter(buffer, len(tables))
        for tag, data in tables.items():
            writer[tag] = data
        writer.close()
        return buffer.getvalue(), new_ids


def _cmap(glyph_ids: dict[int, int]) -> bytes:
    """A `cmap` table with one Unicode subtable (format 12, which holds every plane)."""
    groups = b"".join(struct.pack(">LLL", code, code, glyph) for code, glyph in sorted(glyph_ids.items()))
    subtable = struct.pack(">HHLLL", 12, 0, 16 + len(groups), 0, len(glyph_ids)) + groups
    return struct.pack(">HHHHL", 0, 1, 3, 10, 12) + subtable


class _Face:
    """A face parsed once: fpdf2's reading of it (metrics, character map, descriptor) and its
    font program."""

    def __init__(self, family: str, style: str, path: Path) -> None:
        self.family = family
        self.style = style
        self.fontkey = f"{family.lower()}{style}"
        scratch = FPDF()
        scratch.add_font(family, style, str(path))
        prototype = scratch.fonts[self.fontkey]
        assert isinstance(prototype, TTFFont)
        self.prototype = prototype
        self.program = _Program(prototype.ttfont)
        self.glyph_ids: dict[int, int] = prototype.glyph_ids
        # Control characters (U+0000) are never drawn from a face.
        self.coverage = frozenset(code for code in prototype.cmap if code >= 0x20)

    @cached_property
    def high_bytes(self) -> dict[int, bytes]:
        """For each plane beyond the BMP that this face draws from, a `bytes.translate` table of
        the high byte of a code point's low 16 bits: to a high byte that none of the face's BMP
        characters has (never a surrogate's, nor 0), so that a character's code in the PDF,
        `(table[high] << 8) | low`, is its own within the face."""
        taken = {code >> 8 for code in self.coverage if code <= 0xFFFF}
        free = iter([high for high in range(1, 0x100) if high not in taken and not 0xD8 <= high <= 0xDF])
        tables: dict[int, bytes] = {}
        for plane in sorted({code >> 16 for code in self.coverage} - {0}):
            table = bytearray(range(0x100))
            for high in sorted({code >> 8 & 0xFF for code in self.coverage if code >> 16 == plane}):
                table[high] = next(free)
            tables[plane] = bytes(table)
        return tables

    def code(self, char: str) -> int:
        """The character's code (and CID) in the PDF: its code point within the BMP (see
        `high_bytes` beyond)."""
        point = ord(char)
        if point <= 0xFFFF:
            return point
        return self.high_bytes[point >> 16][point >> 8 & 0xFF] << 8 | point & 0xFF

    @cached_property
    def _beyond(self) -> dict[int, str]:
        """Each character beyond the BMP to its code, for `str.translate`."""
        return {point: chr(self.code(chr(point))) for point in self.coverage if point > 0xFFFF}

    def encode_beyond(self, text: str) -> bytes:
        """`text`, with characters beyond the BMP, as two-byte codes. A text of one plane (as its
        letters are) is translated by bytes at C speed, from its UTF-32; a mixed one character
        by character (which took a sixth of an invoice written in astral letters)."""
        points = text.encode("utf-32-be")
        planes = points[1::4]
        if planes.count(planes[:1]) == len(planes):
            codes = bytearray(len(points) // 2)
            codes[0::2] = points[2::4].translate(self.high_bytes[planes[0]])
            codes[1::2] = points[3::4]
            return bytes(codes)
        return text.translate(self._beyond).encode("utf-16-be")


class DocumentFont:
    """A face as one document uses it: its font resource number and the characters drawn with it.
    `encode` writes a text of this face as the bytes of a PDF string; `add_objects` the font's PDF
    objects when the document ends."""

    def __init__(self, face: _Face, number: int) -> None:
        self.face = face
        self.number = number
        self.used: set[str] = set()

    def encode(self, text: str) -> bytes:
        """`text` (characters of this face) as escaped two-byte codes (the caller notes in `used`
        the characters drawn)."""
        if text[:1] > "\uffff":  # a text that starts beyond the BMP (a line of astral letters)
            data = self.face.encode_beyond(text)
        else:
            data = text.encode("utf-16-be")
            if len(data) != 2 * len(text):  # characters beyond the BMP, as two UTF-16 codes each
                data = self.face.encode_beyond(text)
        return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b"\\r")

    def add_objects(self, add: Callable[[PDFObject], int]) -> PDFFont:
        """The font's PDF objects, each passed to `add` (which numbers it); returns the Type0 font."""
        face, prototype = self.face, self.face.prototype
        # Each code (CID) and the character it draws.
        chars = {face.code(char): char for char in self.used}
        program, new_ids = face.program.subset(
            {ord(char): face.glyph_ids.get(ord(char), 0) for char in self.used}
        )
        name = f"MPDFAA+{prototype.name}"
        font = PDFFont(subtype="Type0", base_font=name, encoding="Identity-H")
        add(font)
        widths = {code: int(prototype.cw[ord(char)]) for code, char in chars.items()}
        descendant = PDFFont(
            subtype="CIDFontType2",
            base_font=name,
            d_w=prototype.desc.missing_width,
            w=_cid_font_widths(widths) if widths else "[]",
        )
        add(descendant)
        font.descendant_fonts = PDFArray([descendant])
        to_unicode = [
            f"<{code:04X}> <{char.encode('utf-16-be').hex().upper()}>\n"
            for code, char in sorted(chars.items())
        ]
        font.to_unicode = PDFContentStream(
            _to_unicode_cmap(_build_cmap_blocks(to_unicode, "bfchar")), compress=True
        )
        add(font.to_unicode)
        system = CIDSystemInfo()
        add(system)
        descendant.c_i_d_system_info = system
        descriptor = copy.copy(prototype.desc)
        descriptor.font_name = Name(name)
        add(descriptor)
        descendant.font_descriptor = descriptor
        to_glyph = bytearray(2 * (max(chars, default=0) + 1))
        for code, char in chars.items():
            struct.pack_into(">H", to_glyph, 2 * code, new_ids[face.glyph_ids.get(ord(char), 0)])
        descendant.c_i_d_to_g_i_d_map = PDFContentStream(bytes(to_glyph), compress=True)
        add(descendant.c_i_d_to_g_i_d_map)
        font_file = PDFFontStream(program)
        add(font_file)
        descriptor.font_file2 = font_file  # type: ignore[attr-defined]
        return font


def _to_unicode_cmap(mappings: str) -> bytes:
    """The ToUnicode CMap of a font with two-byte codes, as fpdf2 writes it."""
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{mappings}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("latin-1")


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
        self.faces = {style: _Face(FAMILY, style, FONT_DIR / name) for style, name in _FILES.items()}
        covered = [set(face.prototype.cmap) for face in self.faces.values()]
        self.coverage: frozenset[int] = frozenset(set.intersection(*covered))
        # The same as characters, so that whole texts are checked by one set operation.
        self.covered_chars = frozenset(map(chr, self.coverage))
        self.own_chars = {
            style: frozenset(map(chr, face.prototype.cmap)) for style, face in self.faces.items()
        }
        self._fallbacks: list[_Face] = []
        self._loading = threading.Lock()
        self.widths = {style: CharWidths(face, self) for style, face in self.faces.items()}
        self.fallback_index = FallbackIndex(self)
        self.drawers = {style: Drawer(own, self) for style, own in self.own_chars.items()}
        self._drawn_by: dict[tuple[str, int], frozenset[str]] = {}

    @property
    def fallbacks(self) -> list[_Face]:
        """Parsed on first use (about 0.7 s of CPU for the three), so processes that never meet such text
        never pay."""
        if not self._fallbacks:
            with self._loading:
                if not self._fallbacks:
                    self._fallbacks = [
                        _Face(family, "", FONT_DIR / name) for family, name in FALLBACK_FILES.items()
                    ]
        return self._fallbacks

    def fallback_for(self, char: str) -> "_Face | None":
        """The first fallback face that has `char`, if any."""
        index = self.fallback_index[char]
        return None if index < 0 else self.fallbacks[index]

    def drawn_by(self, style: str, index: int) -> frozenset[str]:
        """The characters that `Drawer` has fallback face `index` draw in `style`."""
        found = self._drawn_by.get((style, index))
        if found is None:
            earlier = set[int]().union(*(face.coverage for face in self.fallbacks[:index]))
            own = self.own_chars[style]
            drawn = map(chr, self.fallbacks[index].coverage - earlier)
            found = self._drawn_by[(style, index)] = frozenset(drawn).difference(own)
        return found

    def face(self, style: str, index: int) -> _Face:
        """The face that draws what `Drawer` gives `index` for, in `style`."""
        return self.faces[style] if index < 0 else self.fallbacks[index]

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
