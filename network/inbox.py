"""Message kinds the inbox accepts and who handles them: apps above network register their
handlers in AppConfig.ready() (tips: "tip", "tip-status", "tip-question")."""

from __future__ import annotations

from collections.abc import Callable

from network.envelope import Opened

Handler = Callable[[Opened], dict]
_handlers: dict[str, Handler] = {}


def handler_register(kind: str, fn: Handler) -> None:
    _handlers[kind] = fn


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)
