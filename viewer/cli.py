"""The incident-viewer command (the viewer itself is its own piece of work)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    print("incident-viewer: not available yet", file=sys.stderr)
    return 1
