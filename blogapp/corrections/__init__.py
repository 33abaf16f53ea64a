"""Corrections and update notes on published posts: services.py holds the rules,
views.py the public ``/corrections/`` page and feed; the editor's forms are in
``blogapp.posts.editorial``. (Nothing is imported here, so the post page may read
services.py without loading the views.)"""
