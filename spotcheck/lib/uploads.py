"""What an uploaded attachment is, judged by its content, never by its name.

Results keep photos and PDFs (``sniff``); the service column also keeps Office
documents (``sniff_document``). A file whose content is none of these is refused
by the caller, with its own message.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from django.conf import settings

# The types we keep, by what the file's first bytes say (never by its name).
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
    (b"%PDF-", 0, "application/pdf", ".pdf"),
    (b"WEBP", 8, "image/webp", ".webp"),
)

# Office Open XML (.docx, .xlsx, .pptx): a zip whose parts name the kind of document.
OOXML: tuple[tuple[str, str, str], ...] = (
    ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
)
OOXML_MAX_MEMBERS = 10_000

# The older binary Office files (.doc, .xls, .ppt) share one container (OLE2 compound file);
# its first bytes do not say which program wrote it, so the name's extension chooses among these three.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}


def attachment_max_bytes() -> int:
    """Return the size limit of one attachment (SPOTCHECK["attachment_max_mb"])."""
    return int(settings.SPOTCHECK["attachment_max_mb"]) * 1024 * 1024


def sniff(head: bytes) -> tuple[str, str] | None:
    """Return (content type, extension) of a photo or PDF from its first bytes, else None."""
    for magic, offset, content_type, extension in SIGNATURES:
        if head[offset:offset + len(magic)] == magic and (extension != ".webp" or head[:4] == b"RIFF"):
            return content_type, extension
    return None


def sniff_document(content: bytes, name: str) -> tuple[str, str] | None:
    """Return (content type, extension) of a photo, PDF or Office document, else None.

    An .docx/.xlsx/.pptx is recognised by the parts its zip directory lists (nothing is
    decompressed); a .doc/.xls/.ppt by the compound file signature, with its name's extension
    telling which of the three it is.
    """
    kind = sniff(content[:16])
    if kind is not None:
        return kind
    if content.startswith(b"PK\x03\x04"):
        return _ooxml(content)
    if content.startswith(OLE2):
        extension = PurePath((name or "").lower()).suffix
        if extension in OLE2_TYPES:
            return OLE2_TYPES[extension], extension
    return None


def _ooxml(content: bytes) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except Exception:  # any failure of zipfile on a hostile file is a refusal
        return None
    if len(infos) > OOXML_MAX_MEMBERS:
        return None
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        return None
    for part, content_type, extension in OOXML:
        if part in names:
            return content_type, extension
    return None
