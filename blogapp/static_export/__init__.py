"""A static copy of the public site (``flask export-static DIR``): every page at its
WordPress URL as ``…/index.html``, the feeds, sitemap, uploads and static files, for
any static host to serve when the site's own address is blocked.

``inventory.py`` lists the pages and what each shows, ``export.py`` renders them with
the app and writes the files that changed, ``rewrite.py`` makes each page a copy
(links into the copy, no forms), ``cli.py`` is the command."""

from blogapp.static_export.cli import export_static_command
from blogapp.static_export.export import ExportError, ExportReport, export_site

__all__ = ["ExportError", "ExportReport", "export_site", "export_static_command"]
