"""The Web API method table: method name -> handler."""

from __future__ import annotations

from fakeslack.methods import chat, conversations, misc, reactions
from fakeslack.methods.base import Backend, Handler, Params

METHODS: dict[str, Handler] = {
    **chat.METHODS,
    **conversations.METHODS,
    **misc.METHODS,
    **reactions.METHODS,
}

__all__ = ["METHODS", "Backend", "Handler", "Params"]
