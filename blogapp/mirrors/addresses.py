"""The list of the site's other addresses, and the short text mails end with.

The list is ``MIRRORS`` from the configuration, unless an operator stored one with
``flask mirrors set``: it lives in the ``settings`` table then, so every worker
shows the new list at once and, like any setting, the write changes the content
version (``blogapp.content_version``): cached pages and feeds are built anew. The
onion (``ONION_ADDRESS``) comes first either way."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from markupsafe import escape

from blogapp.content_version import remembered
from blogapp.extensions import db
from blogapp.models import Setting
from blogapp.site_settings import forget_stored_settings, stored_settings

SETTING_KEY = "mirrors"


def parse_addresses(value) -> list[str]:
    """Addresses from a list, or from text with one per line (or comma-separated)."""
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines()
    found: list[str] = []
    for item in value or ():
        address = str(item).strip().rstrip("/")
        if address and address not in found:
            found.append(address)
    return found


def check_address(address: str) -> str | None:
    """Why ``address`` cannot be listed, or None."""
    if not address.startswith(("http://", "https://")) or " " in address:
        return f"{address!r} is not an http:// or https:// address"
    return None


def mirror_addresses() -> list[str]:
    """Every other address of the site, the onion first; read once per content
    version (a stored list's write changes the version), so pages and feeds pay no
    query for it."""
    return list(remembered("mirrors", None, _read_addresses))


def _read_addresses() -> tuple[str, ...]:
    stored = stored_settings().get(SETTING_KEY)
    listed = parse_addresses(stored if stored is not None else current_app.config["MIRRORS"])
    onion = current_app.config["ONION_ADDRESS"]
    if onion:
        listed = [a for a in listed if a != f"http://{onion}"]
        listed.insert(0, f"http://{onion}")
    return tuple(listed)


def store_mirrors(addresses: list[str] | None) -> None:
    """Store the list (None: go back to ``MIRRORS`` from the configuration); commits."""
    if addresses is None:
        row = db.session.get(Setting, SETTING_KEY)
        if row is not None:
            db.session.delete(row)
    else:
        db.session.merge(Setting(key=SETTING_KEY, value="\n".join(addresses)))
    db.session.commit()
    forget_stored_settings()


def mirrors_footer_text(addresses: list[str] | None = None) -> str:
    """The lines a mail ends with (empty when there are no other addresses)."""
    addresses = mirror_addresses() if addresses is None else addresses
    if not addresses:
        return ""
    lines = "\n".join(f"  {address}" for address in addresses)
    return "\n" + _("If this site is blocked, it is also at:") + f"\n{lines}\n"


def mirrors_footer_html(addresses: list[str] | None = None) -> str:
    addresses = mirror_addresses() if addresses is None else addresses
    if not addresses:
        return ""
    links = " · ".join(f'<a href="{escape(a)}">{escape(a)}</a>' for a in addresses)
    heading = escape(_("If this site is blocked, it is also at:"))
    return f"<p>{heading} {links}</p>\n"
