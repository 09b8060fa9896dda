"""Timeline entries rendered once. An entry's HTML depends only on what is stored (its own
row and the names it mentions), so it is kept between requests under a key made of all of
that, and rendered again only when some of it changes: an edit, a deletion, a name.
In-process and bounded; every replica keeps its own."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Mapping

from markupsafe import Markup

MAX_ENTRIES = 50_000

_kept: dict[Hashable, Markup] = {}
_guard = threading.Lock()


def kept(key: Hashable, render: Callable[[], Markup]) -> Markup:
    found = _kept.get(key)
    if found is None:
        found = render()
        with _guard:
            if len(_kept) >= MAX_ENTRIES:
                _kept.clear()  # simpler than LRU; a full cache refills within a page or two
            _kept[key] = found
    return found


def digest(*parts: Mapping[str, str] | str | None) -> str:
    """A short key for the names (and settings) a page renders with: one per request, so
    each entry's key carries a few bytes, not the whole directory."""
    text = repr([sorted(p.items()) if isinstance(p, Mapping) else p for p in parts])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def clear() -> None:
    with _guard:
        _kept.clear()
