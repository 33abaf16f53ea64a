"""Linked translations of posts: see services.py. The editor's forms are in
``blogapp.posts.editorial``."""
