"""VK's own JSON schema of its API (5.199, ``tests/data/vk-api-schema``) as checks for the tests.

The fake VK API checks with it what the bot sends (method parameters, keyboards included) and
what the fake itself answers and emits (method responses, long-poll events), so both sides speak
the API as VK describes it.

The schema mixes two drafts: ``allOf``/``oneOf`` of draft 4 and draft 3's ``"required": true``
inside a property. The validator is ``jsonschema``'s draft 4 with a draft-3 ``properties``
keyword; the files are one ``referencing`` registry, so ``$ref`` between them resolve.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, ValidationError, validators
from referencing import Registry
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).parent / "data" / "vk-api-schema"
BASE = SCHEMA_DIR.as_uri() + "/"


@dataclass(frozen=True, slots=True)
class Gap:
    """A place where the schema is wrong about VK: ``pointer`` in ``file`` gets ``value``
    (a pointer ending in ``/-`` appends to a list)."""

    file: str
    pointer: str
    value: Any
    why: str


# Where we are sure the schema is wrong (each is checked in tests/test_vk_schema.py to still be
# wrong in the copy, so a fixed schema shows up):
GAPS = (
    # Callback buttons (API >= 5.103) arrive as ``message_event``; the list of types lacks it.
    Gap("callback/objects.json", "/definitions/callback_type/enum/-", "message_event", "no message_event type"),
    # VK hands over the button's payload as the JSON object it holds, not as a string.
    Gap("callback/objects.json", "/definitions/callback_message_event/properties/payload",
        {"type": "object", "required": True}, "payload typed as a string"),
    # The white button: VK's keyboard documentation lists primary, secondary, negative, positive.
    Gap("messages/objects.json", "/definitions/messages_keyboard_button/properties/color/enum/-", "secondary",
        "no secondary colour"),
    # ``message_typing_state`` says ``"state": "typing"``; the enum holds only digits.
    Gap("callback/objects.json", "/definitions/callback_message_typing_state/properties/state/enum/-", "typing",
        "no typing state"),
    # API errors are {"error_code", "error_msg", "request_params"}: ``inner_type`` is the
    # schema's own tag for its generated code, never sent by VK.
    Gap("base/objects.json", "/definitions/base_error/properties/inner_type", {"type": "string"},
        "inner_type required"),
)


def _patch(doc: dict[str, Any], gap: Gap) -> None:
    *path, last = gap.pointer.strip("/").split("/")
    node: Any = doc
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if last == "-":
        node.append(gap.value)
    else:
        node[last] = gap.value


def schema_files() -> list[str]:
    return sorted(str(p.relative_to(SCHEMA_DIR)) for p in SCHEMA_DIR.rglob("*.json"))


@cache
def contents(patched: bool = True) -> dict[str, dict[str, Any]]:
    """Every file of the copy by its path (``messages/objects.json``), with the gaps patched."""
    docs = {name: json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) for name in schema_files()}
    for gap in GAPS if patched else ():
        _patch(docs[gap.file], gap)
    return docs


@cache
def registry(patched: bool = True) -> Registry:
    return Registry().with_resources(
        (BASE + name, DRAFT4.create_resource(doc)) for name, doc in contents(patched).items())


def _properties(validator: Any, properties: dict[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    """Draft 4's ``properties`` plus draft 3's ``"required": true`` in a property's own schema."""
    if not validator.is_type(instance, "object"):
        return
    for name, subschema in properties.items():
        if name in instance:
            yield from validator.descend(instance[name], subschema, path=name, schema_path=name)
        elif isinstance(subschema, dict) and subschema.get("required") is True:
            yield ValidationError(f"{name!r} is a required property", validator="required", validator_value=True,
                                  path=[name])


def _required(validator: Any, required: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """A draft-4 list keeps its meaning; draft 3's boolean is read by ``_properties``."""
    if isinstance(required, list) and validator.is_type(instance, "object"):
        for name in required:
            if name not in instance:
                yield ValidationError(f"{name!r} is a required property")


VkValidator = validators.extend(Draft4Validator, {"properties": _properties, "required": _required})


@cache
def _validator(ref: str, patched: bool = True) -> Any:
    return VkValidator({"$ref": BASE + ref}, registry=registry(patched))


def problems(instance: Any, ref: str, *, patched: bool = True) -> list[str]:
    """What the definition ``ref`` (e.g. ``messages/objects.json#/definitions/messages_keyboard``)
    finds wrong in ``instance``; empty when it is valid."""
    return [_describe(e) for e in _validator(ref, patched).iter_errors(instance)]


_LIMITS = frozenset({"maxLength", "minLength", "maxItems", "minItems", "maximum", "minimum"})


def _closest(context: list[ValidationError]) -> ValidationError:
    alternatives: dict[Any, list[ValidationError]] = {}
    for e in context:
        alternatives.setdefault(e.schema_path[0], []).append(e)
    other_type = lambda errors: sum(list(e.relative_path) == ["type"] for e in errors)  # noqa: E731
    return min(alternatives.values(), key=lambda errors: (other_type(errors), len(errors)))[0]


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "."
    if error.context:  # oneOf/anyOf: say why the alternative of the right "type" failed
        return f"{where}: no alternative fits ({_describe(_closest(error.context))})"
    if error.validator in _LIMITS:  # the message would repeat the whole value
        return f"{where}: beyond {error.validator} {error.validator_value}"
    return f"{where}: {error.message[:300]}"


# --- methods


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    file: str  # where it is described, e.g. messages/methods.json
    parameters: dict[str, dict[str, Any]]
    responses: tuple[str, ...]  # refs relative to the schema's root

    def parameter_schema(self) -> dict[str, Any]:
        """The parameters as one object schema (values typed as ``typed_params`` reads them)."""
        return {"id": BASE + self.file, "type": "object", "properties": {
            name: {k: v for k, v in spec.items() if k not in ("name", "description")}
            for name, spec in self.parameters.items()}}


def _from_methods_file(ref: str) -> str:
    """``../docs/responses.json#/x`` as written in ``<section>/methods.json`` -> ``docs/responses.json#/x``."""
    return ref.removeprefix("../")


@cache
def method(name: str) -> Method | None:
    section = name.split(".")[0]
    file = f"{section}/methods.json"
    doc = contents().get(file)
    for spec in (doc or {}).get("methods", []):
        if spec["name"] == name:
            responses = tuple(_from_methods_file(r["$ref"]) for r in spec.get("responses", {}).values())
            return Method(name, file, {p["name"]: p for p in spec.get("parameters", [])}, responses)
    return None


class BadParameter(Exception):
    """A parameter VK would refuse: ``name`` and why."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")
        self.name = name
        self.why = why


def _typed(name: str, spec: Mapping[str, Any], raw: str) -> Any:
    kind = spec.get("type")
    try:
        if "$ref" in spec:  # an object passed as a JSON string (keyboard, forward)
            return json.loads(raw)
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
        if kind == "boolean":
            if raw.lower() in ("1", "true"):
                return True
            if raw.lower() in ("0", "false"):
                return False
            raise ValueError(raw)
        if kind == "array":
            items = spec.get("items") or {}
            return [_typed(name, items, part) for part in raw.split(",")] if raw else []
    except ValueError as exc:
        raise BadParameter(name, f"not {kind}" if "$ref" not in spec else "not JSON") from exc
    return raw


def typed_params(m: Method, form: Mapping[str, str]) -> dict[str, Any]:
    """The form's parameters the method knows, typed and checked against the schema; raises
    ``BadParameter`` for the first one VK would refuse. Parameters it does not know are left out
    (VK ignores them too; ``access_token`` and ``v`` are the API's own)."""
    params = {name: _typed(name, m.parameters[name], raw) for name, raw in form.items() if name in m.parameters}
    validator = VkValidator(m.parameter_schema(), registry=registry())
    for error in sorted(validator.iter_errors(params), key=lambda e: [str(p) for p in e.absolute_path]):
        raise BadParameter(str(error.absolute_path[0]), _describe(error))
    return params


def response_problems(m: Method, body: Any) -> list[str]:
    """Empty if ``body`` is one of the method's responses as the schema has them."""
    found = [problems(body, ref) for ref in m.responses]
    return [] if any(not p for p in found) else [f"{m.name}: {p}" for p in found[0]]


def error_problems(body: Any) -> list[str]:
    if not isinstance(body, dict) or set(body) != {"error"}:
        return [f"an error body is {{'error': ...}}, not {body!r:.200}"]
    return problems(body["error"], "base/objects.json#/definitions/base_error")


# --- long-poll events

EVENT_OBJECTS = {
    "message_new": "callback/objects.json#/definitions/callback_message_object",
    "message_reply": "messages/objects.json#/definitions/messages_message",
    "message_edit": "messages/objects.json#/definitions/messages_message",
    "message_event": "callback/objects.json#/definitions/callback_message_event",
    "message_allow": "callback/objects.json#/definitions/callback_message_allow",
    "message_deny": "callback/objects.json#/definitions/callback_message_deny",
    "message_typing_state": "callback/objects.json#/definitions/callback_message_typing_state",
    "group_join": "callback/objects.json#/definitions/callback_group_join",
    "group_leave": "callback/objects.json#/definitions/callback_group_leave",
}


def event_problems(update: Mapping[str, Any]) -> list[str]:
    """What is wrong with one long-poll update: its envelope and, for the types above, its object."""
    found = problems(dict(update), "callback/objects.json#/definitions/callback_base")
    ref = EVENT_OBJECTS.get(str(update.get("type")))
    if ref is not None:
        found += [f"object/{p}" for p in problems(update.get("object"), ref)]
    return found
