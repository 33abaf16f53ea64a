"""Uploaded images: validation and storage (storage.py) and serving (views.py)."""

from blogapp.media.storage import ImageRejected, store_image
from blogapp.media.views import bp

__all__ = ["ImageRejected", "bp", "store_image"]
