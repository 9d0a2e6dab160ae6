"""aiogram parses every Bot API answer with ``Response[<result type>]``, a parametrised pydantic
generic model. pydantic keeps such classes in a *weak* cache, so as soon as nothing refers to one
the garbage collector frees it and the next call builds the class again: 5–10 ms of CPU on the
path of an answer, several times a minute under load (found by the benchmark: ~1 in 7 updates
paid it, and it made the p99). Holding every one of them here builds each once per process
(~50 ms and ~2 MB at import).
"""

from __future__ import annotations

from typing import Any

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod


def _response_models() -> tuple[type[Response[Any]], ...]:
    kinds = []
    for name in aiogram.methods.__all__:
        method = getattr(aiogram.methods, name, None)
        if isinstance(method, type) and issubclass(method, TelegramMethod) and method is not TelegramMethod:
            returning = getattr(method, "__returning__", None)
            if returning is not None and returning not in kinds:
                kinds.append(returning)
    return tuple(Response[kind] for kind in kinds)  # type: ignore[valid-type]


RESPONSE_MODELS = _response_models()
