"""Shared test helpers for planparse.

``make_pdf``: a minimal PDF writer with a CJK text layer (Type0 font, Identity-H, ToUnicode
CMap). No font program is embedded: the file is for text extraction, which only needs the
CMap. Kept dependency-free so the tests do not need reportlab.
"""

from __future__ import annotations

import pytest


def _cmap(chars: list[str]) -> bytes:
    body = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    )
    chunks = [chars[i : i + 100] for i in range(0, len(chars), 100)]
    for chunk in chunks:
        entries = "\n".join(f"<{ord(c):04X}> <{ord(c):04X}>" for c in chunk)
        body += f"{len(chunk)} beginbfchar\n{entries}\nendbfchar\n"
    body += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    return body.encode("ascii")


def _page_stream(lines: list[str]) -> bytes:
    ops = ["BT", "/F1 11 Tf", "14 TL", "40 800 Td"]
    for line in lines:
        hexed = "".join(f"{ord(c):04X}" for c in line)
        ops.append(f"<{hexed}> Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("ascii")


def build_pdf(pages: list[list[str]]) -> bytes:
    """One PDF page per list of lines; characters must be in the Basic Multilingual Plane."""
    chars = sorted({c for page in pages for line in page for c in line})
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    cmap = _cmap(chars)
    tounicode = add(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>"
    )
    cidfont = add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor %d 0 R /DW 1000 /CIDToGIDMap /Identity >>" % descriptor
    )
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cidfont, tounicode)
    )
    kids = []
    for lines in pages:
        stream = _page_stream(lines)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)


@pytest.fixture
def make_pdf():
    return build_pdf
