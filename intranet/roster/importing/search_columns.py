"""The roster entries' search columns (`search_norm`, `search_grams`), computed for a whole import at
once: the same values as roster/search.py's `normalize_for_search` and `grams_for`, in C loops."""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence

_NOT_ALNUM = re.compile(r"[\W_]+")  # the complement of str.isalnum(), as search.normalize_for_search keeps
_SPACE = array("I", b" \0\0\0")
assert _SPACE.itemsize == 4, "search_columns needs 32-bit array items (UTF-32 code units)"


def search_fields(name: str) -> tuple[str, str]:
    """Exactly roster/search.py's (normalize_for_search, grams_for) pair, computed in C loops
    (a test holds them equal): the normalised name and its bigrams."""
    norm = _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", name).casefold())[:200]
    return norm, " ".join(map(str.__add__, norm[:-1], norm[1:]))


def search_columns(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """`search_fields` for many names at once: (norms, grams), the same values (a test holds
    them equal). Joining 100,000 names' bigrams one name at a time builds 1.6 million small
    strings; here all bigram sequences come out of one interleaving of code points instead.

    With every norm between newlines, "\nA…Z\n", the pairs (c[i], c[i+1]) interleaved with
    spaces read "\nA AB … YZ Z\n \nA' A'B' …": split at "\n \n", each piece is "A AB … YZ Z",
    and its bigrams are piece[2:-2] (norms hold no newline: it is not alphanumeric)."""
    norms = []
    for name in names:
        folded = unicodedata.normalize("NFKC", name).casefold()
        norms.append((folded if folded.isalnum() else _NOT_ALNUM.sub("", folded))[:200])
    if not norms:
        return norms, []
    units = array("I", ("\n" + "\n".join(norms) + "\n").encode("utf-32-le", "surrogatepass"))
    pairs = _SPACE * (3 * (len(units) - 1))
    pairs[0::3] = units[:-1]
    pairs[1::3] = units[1:]
    text = pairs.tobytes().decode("utf-32-le", "surrogatepass")[1:-2]
    return norms, [piece[2:-2] for piece in text.split("\n \n")]
