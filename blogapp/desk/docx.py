"""A Word document (.docx) becomes a draft: mammoth reads it as HTML (its
headings, lists, emphasis, links, tables and footnotes), each image goes to Media
through the Media screen's own checks with the document's alt text, and the HTML
becomes Markdown by the same path as a paste (``blogapp.desk.paste``)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext

from blogapp.desk.paste import html_to_markdown
from blogapp.media.storage import ImageRejected, store_image

MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a .docx is a zip: refuse one that unpacks huge


class DocxRejected(ValueError):
    """Not a .docx we can read; ``str(error)`` says so in plain words."""


@dataclass
class ImportedDocument:
    title: str
    markdown: str
    images: int  # stored in Media
    images_refused: int  # not an image we keep (an EMF drawing, say)


def read_docx(data: bytes, filename: str, *, uploaded_by=None) -> ImportedDocument:
    """``data`` (a .docx) as a title and Markdown; its images stored in Media (flushed,
    the caller commits)."""
    _check_zip(data)
    import mammoth  # only when a document is imported

    stem = (filename.rsplit(".", 1)[0] or "document")[:200]
    counts = {"stored": 0, "refused": 0}

    def keep_image(image) -> dict[str, str]:
        with image.open() as source:
            content = source.read()
        extension = (image.content_type or "image/png").split("/")[-1]
        try:
            media = store_image(
                io.BytesIO(content),
                f"{stem}-{counts['stored'] + 1}.{extension}",
                alt=image.alt_text or "",
                uploaded_by=uploaded_by,
            )
        except ImageRejected:
            counts["refused"] += 1
            return {"src": "", "alt": ""}
        counts["stored"] += 1
        return {"src": url_for("media.uploaded", filename=media.filename), "alt": media.alt}

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), convert_image=mammoth.images.img_element(keep_image)
        )
    except Exception as error:  # a third-party parser on a file from outside: any failure
        current_app.logger.info("A .docx could not be read: %r", error)
        raise DocxRejected(_unreadable()) from error
    markdown = html_to_markdown(result.value).replace("![]()", "")
    title = ""
    lines = markdown.split("\n")
    if lines and lines[0].startswith("# "):
        title, markdown = lines[0][2:].strip(), "\n".join(lines[1:]).lstrip("\n")
    return ImportedDocument(title or stem, markdown, counts["stored"], counts["refused"])


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise DocxRejected(_unreadable()) from error
    if "word/document.xml" not in names:
        raise DocxRejected(_unreadable())
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocxRejected(gettext("That document is too large to import."))


def _unreadable() -> str:
    return gettext(
        "That file is not a Word document (.docx) we can read. Save it as .docx "
        "(Word, LibreOffice or Google Docs: File, Download, .docx) and try again."
    )
