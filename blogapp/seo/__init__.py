"""Discovery: sitemap.xml, robots.txt, head meta tags and related posts."""

from blogapp.seo.views import bp

__all__ = ["bp"]
