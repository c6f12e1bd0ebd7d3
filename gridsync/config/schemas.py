"""The JSON Schemas under schemas/: loaded once, validators built once, errors made readable.

Valid documents (nearly all of them) are recognised by a predicate compiled from the schema
(schemafast.py); jsonschema is imported and run only for the rest, to explain what is wrong.

jsonschema's own messages ("'region' is a required property", "Additional properties are not
allowed") are rewritten into gridsync's ("missing required field 'region'", "unknown field
'instance_type'; did you mean 'instance_types'?"), each with the YAML path it belongs to.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from gridsync.config.schemafast import compile_schema
from gridsync.config.yamlsrc import YamlPath, format_path

CLUSTER_SCHEMA = "cluster.schema.json"
PROJECT_SCHEMA = "gridsync.schema.json"

# Words YAML 1.1 (PyYAML's default) reads as booleans; YAML 1.2 keeps them strings.
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})
# Why a schema's `maximum` is what it is, for the message.
_BOUNDS = {
    2**31 - 1: " (the largest 32-bit integer: Grid's API holds no more)",
    2**63 - 1: " (the largest 64-bit integer: Grid's API holds no more)",
    2_592_000: " seconds (30 days)",
}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@dataclass(frozen=True)
class SchemaProblem:
    path: YamlPath
    message: str
    at_key: bool = False  # point at the key (unknown field) rather than the value


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema `name` (a file in schemas/)."""
    text = (files("gridsync") / "schemas" / name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _fast(name: str) -> Callable[[Any], bool] | None:
    """The compiled valid-or-not predicate of schema `name`; None: always ask jsonschema."""
    return compile_schema(load_schema(name))


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # lazy: slow import

    return Draft202012Validator(load_schema(name))


def check(
    name: str,
    instance: Any,
    redact: Callable[[YamlPath], bool] | None = None,
    skip: Collection[YamlPath] = (),
) -> list[SchemaProblem]:
    """Every schema problem of `instance`; values at paths where `redact` is true are not quoted,
    and problems at paths in `skip` (values whose cause is reported already) are left out.

    A valid instance is recognised by the compiled predicate alone (jsonschema is not even
    imported); jsonschema runs only for the others, and its errors are the ones reported.
    """
    fast = _fast(name)
    if fast is not None and fast(instance):
        return []
    problems: list[SchemaProblem] = []
    for error in _validator(name).iter_errors(instance):
        path: YamlPath = tuple(error.absolute_path)
        if path in skip:  # its cause (an unsupported tag) is reported already
            continue
        hide = redact is not None and redact(path)
        problems.extend(_convert(error, path, hide))
    return problems


def non_finite(paths: Collection[YamlPath], reported: Collection[YamlPath]) -> list[SchemaProblem]:
    """YAML's .nan and .inf (and numbers too large for a float, like 1e999), which a JSON Schema
    cannot refuse (JSON has no such numbers; NaN even passes `minimum`), except where a problem
    is `reported` already (an integer field says "expected an integer")."""
    return [
        SchemaProblem(
            path,
            f"{_label(path)} must be a finite number, got NaN or infinity "
            "(.nan, .inf or a number too large); write a plain number",
        )
        for path in sorted(paths, key=str)
        if path not in reported
    ]


def _convert(error: Any, path: YamlPath, hide: bool) -> list[SchemaProblem]:
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [name for name in expected if name not in instance]
        return [SchemaProblem(path, f"missing required field '{name}'") for name in missing]
    if kind == "additionalProperties":
        return _unknown_fields(error.schema, instance, path)
    return [SchemaProblem(path, _message(kind, expected, instance, path, hide))]


def _unknown_fields(
    schema: dict[str, Any], instance: dict[str, Any], path: YamlPath
) -> list[SchemaProblem]:
    known = list(schema.get("properties", {}))
    problems = []
    for key in instance:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(known)}"
        problems.append(SchemaProblem((*path, key), f"unknown field '{key}'{hint}", at_key=True))
    return problems


def _message(kind: str, expected: Any, instance: Any, path: YamlPath, hide: bool) -> str:
    label = _label(path)
    got = describe(instance, hide)
    if kind == "type":
        names = [expected] if isinstance(expected, str) else expected
        message = f"expected {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}, got {got}"
        if "boolean" in names and isinstance(instance, str) and instance.lower() in _YAML11_BOOLS:
            message += " (gridsync reads YAML 1.2, where only true and false are booleans)"
        return message
    if kind == "const":
        return f"{label} must be {expected!r}, got {got}"
    if kind == "enum":
        return f"{label} must be one of {', '.join(repr(v) for v in expected)}; got {got}"
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        why = _BOUNDS.get(expected, "") if kind == "maximum" else ""
        return f"{label} must be {bound} {expected}{why}, got {got}"
    if kind in ("minLength", "minItems") and expected == 1:
        return f"{label} must not be empty"
    if kind == "pattern":
        return f"{label} must match {expected!r}, got {got}"
    return f"{label}: {'invalid value' if hide else _plain(str(instance))} ({kind} {expected!r})"


def _label(path: YamlPath) -> str:
    """The field a message is about: its own key ("root_volume_size"), not the whole path."""
    keys = [part for part in path if isinstance(part, str)]
    if not keys:
        return format_path(path) or "the document"
    return keys[-1] if isinstance(path[-1], str) else format_path(path[path.index(keys[-1]) :])


def quoted(text: str, limit: int = 60) -> str:
    """`repr(text)`, its first characters only when it is long: a huge value (a 4 MB file can hold
    one) never floods a message."""
    return (
        repr(text) if len(text) <= limit else f"{text[: limit - 3]!r}... ({len(text)} characters)"
    )


def _plain(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def describe(value: Any, hide: bool = False) -> str:
    """How a value is named in messages: "the string 'yes'", "the integer 3", "a list"."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return "a string" if hide else f"the string {_plain(repr(value))}"
    if isinstance(value, int):
        return "an integer" if hide else f"the integer {_plain(str(value))}"
    if isinstance(value, float):
        return "a number" if hide else f"the number {value}"
    if value is None:
        return "an empty value (null)"
    return "a list" if isinstance(value, list) else "a mapping"
