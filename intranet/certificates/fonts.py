"""Compact the embedded CJK fonts of a certificate (a WeasyPrint finisher step).

WeasyPrint subsets fonts keeping glyph ids ("retain gids"): the content streams use the original
glyph ids. For a CJK font with 63,000 glyphs that leaves tables indexed up to the highest glyph used
— about 780 KB per font before compression, ~170 KB after, for 150 glyphs actually drawn.

Noto CJK is a CID-keyed CFF font whose CIDs equal its glyph ids. A PDF viewer finds a CID-keyed
font's glyphs through the font's charset (CID → glyph), so the font can be subset *without*
retaining glyph ids as long as each kept glyph keeps its CID: HarfBuzz's subsetter does exactly that.
The result is checked (CID-keyed, every kept glyph's CID equal to the id the page uses) before it
replaces WeasyPrint's font program; anything else is left as WeasyPrint wrote it.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pydyf
from fontTools.cffLib import CFFFontSet
from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
from weasyprint.text.fonts import get_hb_object_data

log = logging.getLogger(__name__)
DROP_TABLES = (b"BASE", b"DSIG", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ", b"vmtx", b"vhea", b"VORG")


def _subset(hb_face: Any, glyphs: list[int]) -> bytes | None:
    plan = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    if plan == ffi.NULL:
        return None
    glyph_set = harfbuzz_subset.hb_subset_input_glyph_set(plan)
    array = ffi.new(f"hb_codepoint_t[{len(glyphs)}]", glyphs)
    harfbuzz.hb_set_add_sorted_array(glyph_set, array, len(glyphs))
    harfbuzz_subset.hb_subset_input_set_flags(
        plan,
        harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING | harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE,
    )
    drop = harfbuzz_subset.hb_subset_input_set(plan, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
    tags = sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in DROP_TABLES)
    harfbuzz.hb_set_add_sorted_array(drop, ffi.new(f"hb_codepoint_t[{len(tags)}]", tags), len(tags))
    face = harfbuzz_subset.hb_subset_or_fail(hb_face, plan)
    if face == ffi.NULL:
        return None
    face = ffi.gc(face, harfbuzz.hb_face_destroy)
    data = get_hb_object_data(face)
    return bytes(data) if data else None


def _cff_table(otf: bytes) -> bytes | None:
    """The raw 'CFF ' table of an OpenType font (without parsing anything else)."""
    if otf[:4] != b"OTTO":
        return None
    count = int.from_bytes(otf[4:6], "big")
    for i in range(count):
        record = otf[12 + 16 * i : 28 + 16 * i]
        if record[:4] == b"CFF ":
            offset, length = int.from_bytes(record[8:12], "big"), int.from_bytes(record[12:16], "big")
            return otf[offset : offset + length]
    return None


def _keeps_cids(otf: bytes, glyphs: list[int]) -> bool:
    """The compacted font is CID-keyed and has a glyph for CID g for every glyph id g the page uses
    (HarfBuzz may add a few glyphs its closure reaches; they keep their own CIDs)."""
    table = _cff_table(otf)
    if table is None:
        return False
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(table), None)
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return False
    names = set(top.charset)
    return all(gid == 0 or f"cid{gid:05d}" in names for gid in glyphs)


def compact_fonts(document: Any, pdf: Any) -> None:
    """Replace each retained-gid CFF font program in `pdf` by a compact one that keeps its CIDs."""
    streams = {
        id(obj.stream[0]): obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Subtype") == "/OpenType" and len(obj.stream) == 1
    }
    compacted: set[str] = set()
    groups: dict[Any, list[Any]] = {}
    for font in document.fonts.values():
        groups.setdefault(font.hash, []).append(font)
    for fonts in groups.values():
        font = fonts[0]
        stream = streams.get(id(font.file_content))
        if stream is None or font.bitmap:
            continue
        used = {0}
        for each in fonts:
            used.update(each.to_unicode)
            used.update(each.widths)
        glyphs = sorted(used)
        compact = _subset(font.hb_face, glyphs)
        if compact is None or len(compact) >= len(font.file_content) or not _keeps_cids(compact, glyphs):
            log.info("kept WeasyPrint's font program for %s", font.family)
            continue
        stream.stream = [_cff_table(compact)]
        stream.extra["Subtype"] = "/CIDFontType0C"
        compacted.add(str(stream.reference))
    _drop_cid_to_gid_maps(pdf, compacted)


def _drop_cid_to_gid_maps(pdf: Any, programs: set[str]) -> None:
    """CIDToGIDMap belongs to TrueType CIDFonts only; on a compacted CFF CIDFont it would be wrong."""
    descriptors = {
        str(obj.reference)
        for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary)
        and obj.get("Type") == "/FontDescriptor"
        and str(obj.get("FontFile3")) in programs
    }
    for obj in pdf.objects:
        if (
            isinstance(obj, pydyf.Dictionary)
            and obj.get("Subtype") == "/CIDFontType0"
            and str(obj.get("FontDescriptor")) in descriptors
        ):
            obj.pop("CIDToGIDMap", None)
