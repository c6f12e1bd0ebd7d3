"""The JSON Schemas under schemas/: loaded once, validators built once, errors made readable.

Documents are validated by jsonschema-rs (Draft 2020-12, compiled once per schema). Its errors
are rewritten into gridsync's messages ("missing required field 'region'", "unknown field
'instance_type'; did you mean 'instance_types'?"), each with the YAML path it belongs to.

jsonschema-rs reads Python's NaN and infinity as JSON null, so `check` takes them out before
validation: each is validated as a placeholder (a number that is not an integer, as NaN and
infinity are); its type, const and enum errors are kept (quoting the real value), its bounds
are not, and a value with no other error is refused as "must be a finite number" (JSON has no
such numbers, and NaN would pass `minimum`).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gridsync import redact
from gridsync.config.yamlsrc import YamlPath, format_path

if TYPE_CHECKING:
    from jsonschema_rs import Draft202012Validator, ValidationError

# Package data beside the code (an installed wheel is a folder: importlib.resources, 7 ms of every
# start-up, would find the same files).
_SCHEMAS = Path(__file__).parent.parent / "schemas"
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


class SchemaProblem(NamedTuple):
    path: YamlPath
    message: str
    at_key: bool = False  # point at the key (unknown field) rather than the value


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema `name` (a file in schemas/)."""
    text = (_SCHEMAS / name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_PLACEHOLDER = 0.5  # what a non-finite float is validated as: a number, not an integer
_NAMED = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_LISTED = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_DESCENDS = frozenset({"properties", "items", "additionalProperties", "patternProperties"})
_BOUND_KEYWORDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)


@cache
def _validator(name: str) -> Draft202012Validator:
    import jsonschema_rs  # lazy: `gridsync --help` needs no validator

    return jsonschema_rs.Draft202012Validator(load_schema(name))


def check(
    name: str,
    instance: Any,
    redact: Callable[[YamlPath], bool] | None = None,
    skip: Collection[YamlPath] = (),
    *,
    non_finite: Collection[YamlPath],
    whole_floats: Collection[YamlPath] = (),
) -> list[SchemaProblem]:
    """Every schema problem of `instance`; values at paths where `redact` is true are not quoted,
    and problems at paths in `skip` (values whose cause is reported already) are left out.

    `non_finite` are the paths of NaN and infinity (YAML's .nan and .inf, or a number too large
    for a float, like 1e999) as the YAML loader found them (`YamlDocument.non_finite`: a second
    walk of every document here would cost more than validating it). They are refused with their
    own message, unless the schema wanted no number there at all.

    `whole_floats` are the paths of floats with no fraction (`200.0`, `YamlDocument.whole_floats`):
    JSON Schema counts them as integers, so a schema alone would pass `root_volume_size: 200.0`,
    which Grid's wire format and the spec then did not read as 200 (the field was dropped, and
    every plan after apply showed the same update). Where the schema wants an integer they are
    refused (_whole_float_problems).
    """
    validator = _validator(name)
    checked = _with_placeholders(instance, non_finite) if non_finite else instance
    extra = _whole_float_problems(name, checked, whole_floats, skip) if whole_floats else []
    if not non_finite and not extra and validator.is_valid(checked):
        return []
    problems: list[SchemaProblem] = []
    for error in sorted(validator.iter_errors(checked), key=_order(load_schema(name), checked)):
        path: YamlPath = tuple(error.instance_path)
        if path in skip:  # its cause (an unsupported tag) is reported already
            continue
        if path in non_finite and error.schema_path[-1] in _BOUND_KEYWORDS:
            continue  # the placeholder's bound, not the value's: the message below covers it
        hide = redact is not None and redact(path)
        problems.extend(_convert(name, error, _at(instance, path), hide))
    reported = {problem.path for problem in problems}
    late = sorted((p for p in non_finite if p not in reported and p not in skip), key=str)
    return problems + [_not_finite(path) for path in late] + extra


def _order(schema: dict[str, Any], instance: Any) -> Callable[[ValidationError], list[int]]:
    """A sort key that puts errors in the order jsonschema found them: keywords in the order the
    schema writes them (properties too), items and extra keys in the order the document has them.
    """

    def key(error: ValidationError) -> list[int]:
        order: list[int] = []
        with contextlib.suppress(LookupError, ValueError, TypeError):  # a keyword not known here
            _walk(error, schema, instance, order)  # sorts by what it found so far
        return order

    return key


def _walk(error: ValidationError, schema: dict[str, Any], instance: Any, order: list[int]) -> None:
    """Append to `order` where `error` is: each step's position in the schema, in the document."""
    node: Any = schema
    value, depth = instance, 0
    steps = iter(error.evaluation_path)
    for step in steps:
        order.append(_index(node, step))
        node = node[step]
        if step == "$ref":
            node = _resolve(schema, node)
        elif step in _NAMED or step in _LISTED:
            name = next(steps)
            order.append(_index(node, name))
            node = node[name]
        if step in _DESCENDS and depth < len(error.instance_path):
            part = error.instance_path[depth]
            order.append(_index(value, part))
            value, depth = value[part], depth + 1
    if error.schema_path[-1] == "required":  # one error for each missing field
        order.append(node.index(error.kind.as_dict()["property"]))


def _index(container: Any, part: str | int) -> int:
    """Where `part` is in `container`: a key's position in a mapping, an index itself."""
    return part if isinstance(part, int) else list(container).index(part)


def _resolve(schema: dict[str, Any], ref: str) -> Any:
    """The subschema a `$ref` into the same schema points at: "#/$defs/name", or the same with
    the schema's own `$id` in front."""
    pointer = ref.partition("#")[2]
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")]
    return _at(schema, tuple(int(p) if p.isdigit() else p for p in parts if p))


def _with_placeholders(instance: Any, paths: Collection[YamlPath]) -> Any:
    """A copy of `instance` with the placeholder at each of `paths`."""
    copied = copy.deepcopy(instance)
    for path in paths:
        if not path:
            return _PLACEHOLDER
        _at(copied, path[:-1])[path[-1]] = _PLACEHOLDER
    return copied


def _whole_float_problems(
    name: str, instance: Any, paths: Collection[YamlPath], skip: Collection[YamlPath]
) -> list[SchemaProblem]:
    """`expected an integer` for each of `paths` (floats with no fraction) where the schema wants
    an integer: validated once more with a fraction there (the non-finite placeholder), only the
    type errors at those paths kept; their other errors (a bound) come from check's own pass.
    Rare: only files that write a number such as `200.0` pay for it."""
    problems: list[SchemaProblem] = []
    for error in _validator(name).iter_errors(_with_placeholders(instance, paths)):
        path: YamlPath = tuple(error.instance_path)
        if path not in paths or path in skip or error.schema_path[-1] != "type":
            continue
        expected = _at(load_schema(name), tuple(error.schema_path))
        names = [expected] if isinstance(expected, str) else list(expected)
        if "integer" in names and "number" not in names:
            value = _at(instance, path)
            problems.append(
                SchemaProblem(
                    path, f"expected an integer, got the number {value!r}; write {int(value)}"
                )
            )
    return problems


def _at(value: Any, path: YamlPath) -> Any:
    for part in path:
        value = value[part]
    return value


def _not_finite(path: YamlPath) -> SchemaProblem:
    return SchemaProblem(
        path,
        f"{_label(path)} must be a finite number, got NaN or infinity "
        "(.nan, .inf or a number too large); write a plain number",
    )


def _convert(name: str, error: ValidationError, instance: Any, hide: bool) -> list[SchemaProblem]:
    path: YamlPath = tuple(error.instance_path)
    kind = str(error.schema_path[-1])
    schema = _at(load_schema(name), tuple(error.schema_path[:-1]))
    expected = schema[kind]
    if kind == "required":
        return [SchemaProblem(path, f"missing required field '{error.kind.as_dict()['property']}'")]
    if kind == "additionalProperties":
        return _unknown_fields(schema, instance, path)
    if error.kind.name == "propertyNames":
        instance = error.kind.as_dict()["error"].instance  # the key, not the mapping
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
    if kind in ("minLength", "minItems", "minProperties") and expected == 1:
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
    one) never floods a message. Masked before it is cut (see redact.shorten)."""
    text = redact.mask(text)
    return (
        repr(text) if len(text) <= limit else f"{text[: limit - 3]!r}... ({len(text)} characters)"
    )


def _plain(text: str) -> str:
    return redact.shorten(text, 60)


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
