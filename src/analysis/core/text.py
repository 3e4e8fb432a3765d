"""Characters that show nothing: one list for every room that cleans text.

Text copied from web pages, PDFs and right-to-left-aware editors carries characters a reader
cannot see: in an order id they would make ``A-1`` and ``A-1\\u200e`` two orders that look the
same, and in a handle they would stop it from matching.
"""

from __future__ import annotations

#: Soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width space, the
#: left-to-right/right-to-left marks, embeddings and overrides, word joiner and the invisible
#: operators, the bidi isolates, and the byte-order mark.
INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)

#: Zero-width non-joiner and joiner: invisible too, but they shape Devanagari, so only fields that
#: are ASCII by definition (handles, tweet ids) drop them.
JOINERS = "\u200c\u200d"

#: :data:`INVISIBLE` as a regular-expression character class (RE2 and Python ``re``).
INVISIBLE_CLASS = "[" + INVISIBLE + "]"
