"""The official MAX Bot API description as a test oracle: every request the bot makes to the fake
MAX API, every answer the fake gives and every update it delivers is checked against it.

``tests/data/max-bot-api-openapi.json`` is the OpenAPI description MAX publishes for its Bot API
(version 0.0.32, from the MAX developer documentation, as of 2026-07-01), kept unchanged. It is
checked with openapi-core (request and response validation by operation: path, query parameters,
security, bodies) after the corrections below, each one a place where the published description
contradicts the API, MAX's own documentation or itself. Everything else is taken as published.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30ReadValidator

SPEC_FILE = Path(__file__).parent / "data" / "max-bot-api-openapi.json"
HOST = "https://platform-api2.max.ru"  # the ``servers`` entry; requests are matched as if sent there

Spec = dict[str, Any]


def _schemas(spec: Spec) -> dict[str, Any]:
    return spec["components"]["schemas"]


# --- where the published description is wrong (each fix says why) -------------------------------

def _token_in_header(spec: Spec) -> None:
    """The security scheme puts the token into the ``access_token`` query parameter, but MAX stopped
    accepting it there in 2025 ("Передача токена через query-параметры больше не поддерживается");
    every example in this very file sends ``Authorization: <token>``."""
    spec["components"]["securitySchemes"]["access_token"] = {"type": "apiKey", "in": "header",
                                                             "name": "Authorization"}


def _new_message_body_parts_optional(spec: Spec) -> None:
    """``NewMessageBody`` requires ``text``, ``attachments`` and ``link`` together, while the API
    takes any of them alone (a text, a file, an edit of the keyboard) and its own examples send
    ``{"text": ...}`` only."""
    _schemas(spec)["NewMessageBody"]["required"] = []


def _message_body_has_no_link(spec: Spec) -> None:
    """``MessageBody`` requires ``link``, a property it does not have (the link is on ``Message``);
    no message from the API carries it there."""
    body = _schemas(spec)["MessageBody"]
    body["required"] = [name for name in body["required"] if name != "link"]


def _chat_types(spec: Spec) -> None:
    """``ChatType`` lists only ``chat`` while its description (and ``Chat.type``) names ``dialog``,
    ``chat`` and ``channel``; every message in a dialogue has ``recipient.chat_type == "dialog"``."""
    _schemas(spec)["ChatType"]["enum"] = ["dialog", "chat", "channel"]


def _discriminators_dispatch(spec: Spec) -> None:
    """The polymorphic types (``Update``, ``Attachment``, ``AttachmentRequest``, ``Button``) carry a
    discriminator on the parent, and every subtype is ``allOf`` the parent. Validators follow a
    discriminator only under ``oneOf``/``anyOf``, so without this a button or an update is checked
    against the parent's two fields only. The parent becomes ``oneOf`` its mapped subtypes (which
    now extend a copy of the parent without the discriminator). ``Update``'s mapping also gives
    ``{"$ref": ...}`` objects where OpenAPI wants strings."""
    schemas = _schemas(spec)
    for name in [n for n, s in schemas.items() if "discriminator" in s and not {"oneOf", "anyOf"} & s.keys()]:
        parent = schemas[name]
        disc = parent.pop("discriminator")
        base = f"{name}Base"
        schemas[base] = parent
        mapping = {key: ref["$ref"] if isinstance(ref, dict) else ref for key, ref in disc["mapping"].items()}
        for ref in mapping.values():
            sub = schemas[ref.rsplit("/", 1)[1]]
            for part in sub.get("allOf", []):
                if part.get("$ref") == f"#/components/schemas/{name}":
                    part["$ref"] = f"#/components/schemas/{base}"
        schemas[name] = {"oneOf": [{"$ref": ref} for ref in dict.fromkeys(mapping.values())],
                         "discriminator": {"propertyName": disc["propertyName"], "mapping": mapping}}


def _responses_fixed(spec: Spec) -> None:
    """``GET /chats`` has no ``responses`` (it was withdrawn in June 2026), which OpenAPI requires."""
    spec["paths"]["/chats"]["get"].setdefault("responses", {"410": {"description": "withdrawn"}})


def _one_chat_path(spec: Spec) -> None:
    """``/chats/{chatLink}`` and ``/chats/{chatId}`` are the same path template, told apart only by
    the parameter's pattern, which path matching does not look at: ``GET /chats/-7000…`` would be
    checked as a chat link. The bot never looks chats up by link, so that operation goes."""
    del spec["paths"]["/chats/{chatLink}"]


CORRECTIONS: tuple[Callable[[Spec], None], ...] = (
    _token_in_header, _new_message_body_parts_optional, _message_body_has_no_link, _chat_types,
    _discriminators_dispatch, _responses_fixed, _one_chat_path,
)
# Stricter than the description, on purpose, in the fake (tests/fake_max_api.py) rather than here:
# ``GET /updates`` allows ``limit`` up to 1000 and ``timeout`` up to 90, but since May 2026 MAX
# refuses more than 100 and 30; error answers (400, 403, 404, 429, 503) are listed in the
# introduction but missing from most operations, so an error body is checked against ``Error``.


@cache
def spec() -> Spec:
    raw = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    fixed = copy.deepcopy(raw)
    for correct in CORRECTIONS:
        correct(fixed)
    return fixed


@cache
def _openapi() -> OpenAPI:
    # The published file does not pass an OpenAPI validator as a whole (see CORRECTIONS and the
    # ``GET /members`` parameters, which no test uses), so only the operations are checked.
    return OpenAPI.from_dict(spec(), config=Config(spec_validator_cls=None))


def _messages(errors: Iterator[Exception]) -> list[str]:
    return [_describe(error) for error in errors]


def _describe(error: BaseException) -> str:
    """One line: what failed and, for a schema, where in the body and why (values cut short)."""
    head = _short(str(error).splitlines()[0])
    found: list[ValidationError] = []
    seen: BaseException | None = error
    while seen is not None and not found:
        found = [e for e in getattr(seen, "schema_errors", None) or [] if isinstance(e, ValidationError)]
        seen = seen.__cause__
    return " | ".join([head, *(_where(e) for e in found)])


def _deepest(error: ValidationError) -> ValidationError:
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _where(error: ValidationError) -> str:
    best = _deepest(error)
    return f"{'/'.join(str(p) for p in best.absolute_path) or '.'}: {_short(best.message)}"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def request_errors(method: str, path: str, query: dict[str, str], headers: dict[str, str],
                   body: bytes | None, content_type: str | None) -> list[str]:
    """What is wrong with one request by the description ([] if nothing)."""
    request = MockRequest(HOST, method, path, args=query, headers=headers, data=body or b"",
                          content_type=content_type or "application/json")
    return _messages(_openapi().iter_request_errors(request))


def response_errors(method: str, path: str, query: dict[str, str], status: int, body: bytes,
                    content_type: str = "application/json") -> list[str]:
    """What is wrong with one answer; an error status the operation does not list is an ``Error``."""
    request = MockRequest(HOST, method, path, args=query)
    operation = _operation(method, path)
    if status >= 400 and operation is not None and str(status) not in operation.get("responses", {}):
        return schema_errors("Error", json.loads(body))
    response = MockResponse(body, status_code=status, content_type=content_type)
    return _messages(_openapi().iter_response_errors(request, response))


def schema_errors(name: str, instance: Any) -> list[str]:
    """What is wrong with ``instance`` as a ``components/schemas/<name>``, e.g. an ``Update``."""
    return [_where(e) for e in _validator(name).iter_errors(instance)]


@cache
def _validator(name: str) -> OAS30ReadValidator:
    # The whole description is the root document, so ``#/components/...`` references resolve.
    return OAS30ReadValidator({**spec(), "$ref": f"#/components/schemas/{name}"})


def _operation(method: str, path: str) -> dict[str, Any] | None:
    paths = spec()["paths"]
    for pattern, item in paths.items():
        if _matches(pattern, path):
            return item.get(method.lower())
    return None


def _matches(pattern: str, path: str) -> bool:
    want, got = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(w == g or w.startswith("{") for w, g in zip(want, got, strict=True))
