"""What an import did: counts by kind, warnings, and the summary ``flask import-wxr``
prints (and the audit log keeps)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_WARNINGS_SHOWN = 20
MAX_WARNINGS_KEPT = 1000  # a broken file can warn on every line; the count stays exact


@dataclass
class ImportReport:
    version: str = ""
    added: Counter[str] = field(default_factory=Counter)
    posts: Counter[str] = field(default_factory=Counter)  # by status as readers see it
    comments: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    old_host: str = ""  # the old site, as its base URLs name it
    old_images: int = 0  # <img> in imported posts and pages that still load from there
    old_image_rows: int = 0  # posts and pages holding them
    remote_media: int = 0  # attachments recorded with their old address
    relinked: int = 0  # posts and pages imported before whose images are now local

    def warn(self, message: str, line: int | None = None) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(f"line {line}: {message}" if line else message)

    def _image_lines(self) -> list[str]:
        """What of the old site's images is still there, and how to bring it in."""
        lines = []
        if self.relinked:
            many = self.relinked > 1
            lines.append(
                f"  relinked:   {_count(self.relinked, 'post or page', 'posts or pages')}"
                f" now show{'' if many else 's'} local copies of images"
            )
        if not (self.old_images or self.remote_media):
            return lines
        where = []
        if self.old_images:
            where.append(
                f"{self.old_images} in "
                f"{_count(self.old_image_rows, 'post or page', 'posts or pages')}"
            )
        if self.remote_media:
            where.append(_count(self.remote_media, "attachment", "attachments"))
        comma = "," if len(where) > 1 else ""
        host = self.old_host or "the old site"
        lines += [
            f"  images:     {', and '.join(where)}{comma} still load from {host}",
            "              To bring them in, copy the old site's wp-content/uploads folder",
            "              here and run the import again with --uploads FOLDER: posts",
            "              already imported then show the local copies.",
        ]
        return lines

    def summary_lines(self) -> list[str]:
        def by_kind(counter: Counter[str]) -> str:
            total = sum(counter.values())
            detail = ", ".join(f"{name} {n}" for name, n in sorted(counter.items()))
            return f"{total}" + (f" ({detail})" if detail else "")

        lines = [
            f"Imported WXR {self.version}:",
            f"  authors:    {self.added['authors']}",
            f"  categories: {self.added['categories']}",
            f"  tags:       {self.added['tags']}",
            f"  posts:      {by_kind(self.posts)}",
            f"  pages:      {self.added['pages']}",
            f"  comments:   {by_kind(self.comments)}",
            f"  media:      {self.added['media']}",
            f"  translation groups: {self.added['translation groups']}",
            *self._image_lines(),
            f"  skipped:    {by_kind(self.skipped)}",
            f"  warnings:   {self.warning_count}",
        ]
        lines += [f"    - {w}" for w in self.warnings[:MAX_WARNINGS_SHOWN]]
        if self.warning_count > MAX_WARNINGS_SHOWN:
            lines.append(f"    … and {self.warning_count - MAX_WARNINGS_SHOWN} more")
        return lines


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
