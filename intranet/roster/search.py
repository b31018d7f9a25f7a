"""Substring search over roster names: normalised text and its character bigrams.

A query of n ≥ 2 characters matches a name exactly when the query's n−1 bigrams occur
consecutively in the name's bigram sequence (SQLite FTS5 phrase query, PostgreSQL array
containment plus a recheck)."""

from __future__ import annotations

import unicodedata

MIN_QUERY_LENGTH = 2


def normalize_for_search(text: str) -> str:
    """NFKC, case-folded, with spaces and punctuation removed."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def bigrams(norm: str) -> list[str]:
    return [norm[i : i + 2] for i in range(len(norm) - 1)]


def grams_for(norm: str) -> str:
    """The space-separated bigram sequence stored for the full-text index."""
    return " ".join(bigrams(norm))
