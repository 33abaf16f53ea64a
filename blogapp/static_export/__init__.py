"""A static copy of the public site (``flask export-static DIR``): every page at its
WordPress URL as ``…/index.html``, the feeds, sitemap, uploads and static files, for
any static host to serve when the site's own address is blocked.

``inventory.py`` lists the pages and what each shows, ``export.py`` renders them with
the app and writes the files that changed, ``rewrite.py`` makes each page a copy
(links into the copy, no forms), ``cli.py`` is the command. Nothing is imported here:
every worker builds the app with the command list, and the export's lxml has no place in
a reader's worker."""
