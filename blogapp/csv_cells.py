"""A value as a cell of a CSV file an admin downloads (subscribers, the audit log)."""

from __future__ import annotations


def csv_cell(value) -> str:
    text = (
        "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    )
    # A spreadsheet runs a cell that starts like a formula: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
