"""Every post's previous, next and related posts, ranked from the inventory the export
already holds, so a post page of the copy runs no query for them.

On the live site each post page asks the database (``blogapp.seo.related``): a
UNION over every post sharing one of its categories or tags, counted and ranked. For
the whole site that is the costliest query the export runs, once per post. Here the
same ranking is made in memory from the lists of posts per category and tag: most
shared terms first, then newest first (the listings' order, which the inventory's
post list has). A test compares this with the site's own query for every post."""

from __future__ import annotations

from collections import Counter
from itertools import chain

from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Post
from blogapp.seo.related import RELATED_LIMIT, Neighbour, Neighbours
from blogapp.static_export.inventory import Inventory

_CHUNK = 500  # ids per IN (...) list: SQLite's limit on parameters is far above it


class Relations:
    """Built once per export (before the renderers fork); ``neighbours`` per post."""

    def __init__(self, inventory: Inventory) -> None:
        self.posts = inventory.posts  # newest first
        self.rank = {p.id: i for i, p in enumerate(self.posts)}
        self.terms = inventory.terms
        self.members = inventory.members  # term -> public post ids, newest first
        self._sets: dict[tuple[str, int], set[int]] = {}
        # A post without a title is labelled by its excerpt (``post_label``); only those
        # excerpts are read, as the site's query keeps only those.
        untitled = [p.id for p in self.posts if not p.title.strip()]
        self.excerpts: dict[int, str] = {}
        for start in range(0, len(untitled), _CHUNK):
            ids = untitled[start : start + _CHUNK]
            rows = db.session.execute(select(Post.id, Post.excerpt_html).where(Post.id.in_(ids)))
            self.excerpts.update((post_id, excerpt) for post_id, excerpt in rows)

    def _neighbour(self, index: int) -> Neighbour:
        p = self.posts[index]
        excerpt = "" if p.title.strip() else self.excerpts.get(p.id, "")
        return Neighbour(p.id, p.title, p.slug, p.published_at, excerpt, p.language)

    def _set(self, term: tuple[str, int]) -> set[int]:
        found = self._sets.get(term)
        if found is None:
            found = self._sets[term] = set(self.members[term])
        return found

    def neighbours(self, post_id: int) -> Neighbours:
        index = self.rank[post_id]
        previous = self._neighbour(index + 1) if index + 1 < len(self.posts) else None
        newer = self._neighbour(index - 1) if index > 0 else None
        return Neighbours(previous=previous, next=newer, related=self._related(post_id))

    def _related(self, post_id: int) -> list[Neighbour]:
        terms = sorted(self.terms.get(post_id, ()), key=lambda t: (len(self.members[t]), t))
        if not terms:
            return []
        *smaller, largest = terms
        # A post's score is how many of these lists hold it. Counting the smaller lists
        # finds every post scoring two or more; a post only in the largest scores one,
        # and of those only the newest few can rank.
        scores = Counter(chain.from_iterable(self.members[t] for t in smaller))
        for shared in scores.keys() & self._set(largest):
            scores[shared] += 1
        taken = 0
        for candidate in self.members[largest]:
            if taken > RELATED_LIMIT:  # one more, in case it is this post
                break
            if candidate not in scores:
                scores[candidate] = 1
                taken += 1
        scores.pop(post_id, None)
        # Highest score first, newest first within a score: taken score by score, as
        # most posts share one term and only the top one or two scores are reached.
        rank = self.rank
        best: list[int] = []
        for level in sorted(set(scores.values()), reverse=True):
            same = [i for i, count in scores.items() if count == level]
            best += sorted(same, key=rank.__getitem__)[: RELATED_LIMIT - len(best)]
            if len(best) >= RELATED_LIMIT:
                break
        return [self._neighbour(rank[i]) for i in best]
