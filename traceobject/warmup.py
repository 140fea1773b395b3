"""What each web process builds once, before its first request: a list that the apps fill
from their AppConfig.ready (`register`), run by gunicorn's post_worker_init. The project
package imports no app, so it cannot name their functions itself."""

from __future__ import annotations

from collections.abc import Callable

_registered: list[Callable[[], object]] = []


def register(build: Callable[[], object]) -> Callable[[], object]:
    """Add `build` to the warm-up (once, however often an app's ready() runs)."""
    if build not in _registered:
        _registered.append(build)
    return build


def warm_up() -> None:
    for build in _registered:
        build()
