"""The writer's desk: what the post editor offers around its plain text box.
A formatting toolbar and shortcuts that write Markdown, paste from Word
and Google Docs kept as Markdown, a live preview with a word count that counts
Khmer, images dropped into the text, categories as checkboxes and tag
suggestions. The text box stays a plain ``<textarea>``: Khmer typed into it is
stored as typed."""

__all__ = ["init_app"]


def init_app(app) -> None:
    """The desk's views join the admin blueprint; it has no jobs, mail or reader data."""
    from blogapp.desk import (
        template_globals,  # noqa: F401  (the editor's category tree and tag list)
        views,  # noqa: F401  (its views join the admin blueprint)
    )
