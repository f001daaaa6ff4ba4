"""Which part of a file's text belongs to which parsed document.

A file may hold several documents (the Guangdong seed carries the national guidance as its
annex); each document's citations must come from its own text, or the transmittal notice's
citation of the guidance would be read as the guidance citing itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from duban_planparse import ParsedDocument

from .normalize import compact, normalize_doc_number


def split_text(text: str, documents: Sequence[ParsedDocument]) -> list[str]:
    """One text per document, in order. A document begins at the first line after the previous
    document's beginning that is its own 文号 or title alone on the line; one whose beginning is
    not found gets an empty text (its citations then come from the parser's ``cites`` only)."""
    if len(documents) == 1:
        return [text]  # most files: no lines to compare (100,000 of them held 30 MB)
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    flat_lines = [compact(line) for line in lines]
    starts: list[int | None] = [0] if documents else []
    previous = 0
    for document in documents[1:]:
        marks = {compact(document.title)}
        number = normalize_doc_number(document.doc_number)
        found = None
        for index in range(previous + 1, len(lines)):
            flat = flat_lines[index]
            if flat and (
                flat in marks
                or (
                    number and normalize_doc_number(flat) == number and len(flat) <= len(number) + 4
                )
            ):
                found = index
                break
        starts.append(found)
        if found is not None:
            previous = found
    texts = []
    for position, start in enumerate(starts):
        if start is None:
            texts.append("")
            continue
        end = next((s for s in starts[position + 1 :] if s is not None), len(lines))
        texts.append(text[offsets[start] : offsets[end]])
    return texts
