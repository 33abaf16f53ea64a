from blogapp.posts.views import bp, post_url

__all__ = ["bp", "post_url"]
