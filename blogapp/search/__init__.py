"""Search: the ``/?s=`` page (views.py), its queries (query.py) and the
database-specific index (schema.py; ``create_app`` registers it explicitly)."""

from blogapp.search.views import search_results

__all__ = ["search_results"]
