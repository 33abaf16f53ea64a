"""``flask --app blogapp import-wxr PATH [--uploads DIR]`` and ``export-wxr PATH``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("import-wxr")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--uploads",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A copy of the old site's wp-content/uploads: images are stored here and "
    "links to them rewritten.",
)
@with_appcontext
def import_wxr_command(path: Path, uploads: Path | None) -> None:
    """Import a WordPress export (WXR 1.1 or 1.2): all of it, or nothing on error."""
    from blogapp.wordpress.wxr_import import import_wxr
    from blogapp.wordpress.wxr_reader import WxrError

    try:
        if sys.stdout.isatty():
            with click.progressbar(length=path.stat().st_size, label="Importing") as bar:
                report = import_wxr(path, uploads, progress=bar.update)
        else:
            report = import_wxr(path, uploads)
    except WxrError as error:
        raise click.ClickException(f"{path.name}: {error}. Nothing was imported.") from None
    for line in report.summary_lines():
        click.echo(line)


@click.command("export-wxr")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_wxr_command(path: Path) -> None:
    """Write everything as a WordPress export (WXR 1.2) to PATH."""
    from blogapp.wordpress.wxr_export import export_wxr

    try:
        counts = export_wxr(path)
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from None
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(f"Exported to {path}: {summary}.")
