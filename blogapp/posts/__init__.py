from blogapp.permalinks import post_url
from blogapp.posts.views import bp

__all__ = ["bp", "post_url"]
