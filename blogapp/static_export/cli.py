"""``flask --app blogapp export-static DIR``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("export-static")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url",
    default=None,
    help="The copy's own address (https://mirror.example.org/blog): links and "
    "feeds name it. Without it, links are relative.",
)
@click.option(
    "--main-site",
    "main_sites",
    multiple=True,
    metavar="URL",
    help="Another address of the live site, listed with SITE_URL where the copy "
    "sends readers to comment or search (repeatable).",
)
@click.option(
    "--full", is_flag=True, help="Render every page, not only those whose content changed."
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that render pages at once (default: one per CPU).",
)
@with_appcontext
def export_static_command(
    folder: Path,
    base_url: str | None,
    main_sites: tuple[str, ...],
    full: bool,
    jobs: int | None,
) -> None:
    """Write a static copy of the public site into FOLDER (files that changed only)."""
    from blogapp.static_export.export import ExportError, export_site

    if base_url and not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(
            "give a full address, such as https://mirror.example.org/", param_hint="--base-url"
        )
    try:
        report = export_site(
            current_app, folder, base_url=base_url, main_sites=main_sites, full=full, jobs=jobs
        )
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    for url in report.refused:
        click.echo(f"Left out {url}: its address is not a plain path for a file.", err=True)
    click.echo(
        f"Exported {report.files} files to {folder} in {report.seconds:.1f} s: "
        f"{report.rendered} pages rendered, {report.skipped} unchanged pages skipped, "
        f"{len(report.written)} files written, {len(report.removed)} removed."
    )
