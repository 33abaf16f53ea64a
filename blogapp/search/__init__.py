"""Search: the ``/?s=`` page, its queries and the database-specific index.

Importing this package hooks the index DDL onto the posts table (schema.py)."""

from blogapp.search import schema
from blogapp.search.views import search_results

__all__ = ["schema", "search_results"]
