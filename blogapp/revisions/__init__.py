"""The editor's desk: revisions of posts and pages, autosave, the check
that a save is based on the latest version, and share-preview links.

``services`` stores and compares revisions; ``views`` adds the editor's routes to the
admin blueprint; ``preview`` is the public blueprint that serves share-preview links.
(This package imports nothing itself, so ``blogapp.posts.services`` may use
``services`` without importing the views.)"""
