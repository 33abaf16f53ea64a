"""Word count and reading time, right for Khmer too.

Khmer writes no spaces between words (a zero-width space at most), so splitting on
spaces would count a Khmer paragraph as one word. We count Khmer by grapheme
clusters (``\\X``: a consonant with its subscripts and vowel signs is one), the
unit a reader's eye takes in, and every other script by words (runs of letters
and digits). Reading time adds the two at their own speeds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import regex

_KHMER_RUN = regex.compile(r"[\u1780-\u17ff\u19e0-\u19ff]+")
_GRAPHEME = regex.compile(r"\X")
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’][\p{L}\p{M}]+)*")
WORDS_PER_MINUTE = 230
# An assumption, not a measurement: Khmer clusters read per minute, about three
# clusters a word at roughly the English pace.
KHMER_CLUSTERS_PER_MINUTE = 700


@dataclass(frozen=True)
class TextCount:
    words: int  # words outside Khmer
    khmer_clusters: int  # grapheme clusters of Khmer text
    minutes: int  # reading time, rounded up; 0 for an empty text


def count_text(text: str) -> TextCount:
    clusters = sum(len(_GRAPHEME.findall(run)) for run in _KHMER_RUN.findall(text))
    words = len(_WORD.findall(_KHMER_RUN.sub(" ", text)))
    if not words and not clusters:
        return TextCount(0, 0, 0)
    minutes = math.ceil(words / WORDS_PER_MINUTE + clusters / KHMER_CLUSTERS_PER_MINUTE)
    return TextCount(words, clusters, max(1, minutes))
