"""A compiled "is it valid?" for gridsync's own JSON Schemas.

`compile_schema(schema)` turns a Draft 2020-12 schema into nested closures that answer exactly what
`Draft202012Validator(schema).is_valid(instance)` answers, without jsonschema's per-keyword dispatch
(nor its import). Only valid/invalid: messages still come from jsonschema, which `schemas.check`
runs only for documents this predicate rejects.

The compiler knows the keywords schemas/*.json use; a schema with any other keyword (or a remote
`$ref`, a nested `$id`, an anchor) compiles to None and callers keep using jsonschema. Semantics
follow jsonschema's `_keywords.py`, `_types.py` and `_utils.equal`/`uniq`: bool is neither integer
nor number, 1.0 is an integer, enum/const tell True from 1, keywords for one type ignore the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Sized
from itertools import pairwise
from numbers import Number
from typing import Any
from urllib.parse import unquote

Predicate = Callable[[Any], bool]
_Factory = Callable[["_Compiler", Any, Mapping[str, Any]], Predicate | None]

# Keywords that never make an instance invalid for Draft202012Validator (format is not asserted
# without a format checker); `then` and `else` are read by `if`.
_NO_OPS = frozenset(
    {
        "$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly", "format", "then", "else",
    }
)  # fmt: skip
# Keys that would change how `$ref` resolves; a schema holding one anywhere but `$id` at the root
# is not compiled (a property merely named so costs only the fast path).
_SCOPE_KEYS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef"})


class _Unsupported(Exception):
    """The schema uses something this compiler does not implement."""


def compile_schema(schema: dict[str, Any]) -> Predicate | None:
    """A predicate equal to `Draft202012Validator(schema).is_valid`, or None if unsupported."""
    try:
        _reject_scopes(schema, top=True)
        return _Compiler(schema).compile(schema)
    except (_Unsupported, re.error):
        return None


def _reject_scopes(node: Any, top: bool = False) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SCOPE_KEYS and not (top and key == "$id"):
                raise _Unsupported(key)
            _reject_scopes(value)
    elif isinstance(node, list):
        for value in node:
            _reject_scopes(value)


class _Compiler:
    """Compiles subschemas of one root; `$ref` targets are compiled once, recursion included."""

    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root
        self._done: dict[str, Predicate] = {}
        self._pending: dict[str, list[Predicate]] = {}

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        checks, handled = _fused(self, schema)
        for keyword, value in schema.items():
            if keyword in _NO_OPS or keyword in handled:
                continue
            factory = _FACTORIES.get(keyword)
            if factory is None:
                raise _Unsupported(keyword)
            check = factory(self, value, schema)
            if check is not None:
                checks.insert(0 if keyword == "type" else len(checks), check)
        return _all_of(checks)

    def ref(self, ref: Any) -> Predicate:
        if not isinstance(ref, str):
            raise _Unsupported("$ref")
        if ref in self._done:
            return self._done[ref]
        if ref in self._pending:  # recursion: call through a cell filled in below
            later = self._pending[ref]
            return lambda x: later[0](x)
        cell: list[Predicate] = []
        self._pending[ref] = cell
        compiled = self.compile(_resolve(self._root, ref))
        cell.append(compiled)
        del self._pending[ref]
        self._done[ref] = compiled
        return compiled


def _resolve(root: dict[str, Any], ref: str) -> Any:
    """The subschema a local JSON Pointer `$ref` ("#", "#/$defs/name") points at."""
    if not ref.startswith("#") or (len(ref) > 1 and ref[1] != "/"):
        raise _Unsupported(ref)
    node: Any = root
    for part in ref[2:].split("/") if len(ref) > 1 else []:
        token = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise _Unsupported(ref)
    return node


def _always(x: Any) -> bool:
    return True


def _never(x: Any) -> bool:
    return False


def _all_of(checks: Sequence[Predicate]) -> Predicate:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    frozen = tuple(checks)

    def every(x: Any) -> bool:
        return all(check(x) for check in frozen)

    return every


# --- types ----------------------------------------------------------------------------------------


def _is_integer(x: Any) -> bool:
    if isinstance(x, int):
        return not isinstance(x, bool)
    return isinstance(x, float) and x.is_integer()


def _is_number(x: Any) -> bool:
    return type(x) is int or type(x) is float or (isinstance(x, Number) and not isinstance(x, bool))


# JSON types that are exactly one Python class (integer and number are not: bool, 1.0).
_PLAIN_TYPES: dict[str, type] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "null": type(None),
}
_TYPES: dict[str, Predicate] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _type(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
        raise _Unsupported(f"type {value!r}")
    if len(names) == 1:
        return _TYPES[names[0]]
    if all(name in _PLAIN_TYPES for name in names):  # one isinstance call for ["string", "null"]
        plain = tuple(_PLAIN_TYPES[name] for name in names)
        return lambda x: isinstance(x, plain)
    tests = tuple(_TYPES[name] for name in names)
    return lambda x: any(test(x) for test in tests)


# --- objects --------------------------------------------------------------------------------------

_OBJECT_KEYS = frozenset({"properties", "additionalProperties", "required"})


def _fused(c: _Compiler, schema: Mapping[str, Any]) -> tuple[list[Predicate], frozenset[str]]:
    """The one-pass object check when the schema has object keywords, and the keywords it covers."""
    if _OBJECT_KEYS.isdisjoint(schema):
        return [], frozenset()
    if schema.get("type") == "object":
        return [_object(c, schema)], _OBJECT_KEYS | {"type"}
    return [_object(c, schema)], _OBJECT_KEYS


def _object(c: _Compiler, schema: Mapping[str, Any]) -> Predicate:
    """type "object" (when it is exactly that), required, properties and additionalProperties in
    one pass over the instance's keys."""
    strict = schema.get("type") == "object"
    required = tuple(_strings(schema.get("required", []), "required"))
    props = {key: c.compile(sub) for key, sub in _mapping(schema.get("properties", {})).items()}
    extra = schema.get("additionalProperties", True)
    extra_check = None if extra is True else c.compile(extra)
    joined = "|".join(_mapping(schema.get("patternProperties", {})))
    covered = re.compile(joined).search if joined else None  # as jsonschema finds extras

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return not strict
        for name in required:
            if name not in x:
                return False
        for key, value in x.items():
            prop = props.get(key)
            if prop is None:
                if extra_check is None or (covered is not None and covered(key)):
                    continue
                prop = extra_check
            if not prop(value):
                return False
        return True

    return check


def _pattern_properties(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    pairs = tuple((re.compile(p).search, c.compile(sub)) for p, sub in _mapping(value).items())

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        return all(sub(v) for search, sub in pairs for k, v in x.items() if search(k))

    return check


def _property_names(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    sub = c.compile(value)
    return lambda x: not isinstance(x, dict) or all(sub(key) for key in x)


def _dependent_required(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    pairs = tuple((key, tuple(_strings(deps, key))) for key, deps in _mapping(value).items())

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        return all(dep in x for key, deps in pairs if key in x for dep in deps)

    return check


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Unsupported(repr(value))
    return value


def _strings(value: Any, keyword: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Unsupported(keyword)
    return value


# --- counts and bounds ----------------------------------------------------------------------------


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Unsupported(repr(value))
    return value


def _bound(value: Any) -> Any:
    if not _is_number(value):
        raise _Unsupported(repr(value))
    return value


def _sized(kind: type[Sized], at_least: bool) -> _Factory:
    def factory(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
        n = _count(value)
        if at_least:
            return lambda x: not isinstance(x, kind) or len(x) >= n
        return lambda x: not isinstance(x, kind) or len(x) <= n

    return factory


def _minimum(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    low = _bound(value)
    return lambda x: not (_is_number(x) and x < low)  # not `x >= low`: NaN passes, as in jsonschema


def _maximum(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    high = _bound(value)
    return lambda x: not (_is_number(x) and x > high)


# --- strings and arrays ---------------------------------------------------------------------------


def _pattern(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, str):
        raise _Unsupported("pattern")
    search = re.compile(value).search  # re.search, as jsonschema: not anchored unless ^...$
    return lambda x: not isinstance(x, str) or search(x) is not None


def _items(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    item = c.compile(value)
    return lambda x: not isinstance(x, list) or all(item(v) for v in x)


def _unique_items(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate | None:
    if not value:
        return None
    return lambda x: not isinstance(x, list) or _uniq(x)


# --- values ---------------------------------------------------------------------------------------


def _enum(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    if not isinstance(value, list):
        raise _Unsupported("enum")
    if all(isinstance(each, str) for each in value):
        names = frozenset(value)
        return lambda x: isinstance(x, str) and x in names
    options = tuple(value)
    return lambda x: any(_equal(each, x) for each in options)


def _const(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    if isinstance(value, str):
        return lambda x: isinstance(x, str) and x == value
    return lambda x: _equal(x, value)


_TRUE, _FALSE = object(), object()


def _unbool(element: Any) -> Any:
    """True and False as themselves, not as 1 and 0 (jsonschema `_utils.unbool`)."""
    if element is True:
        return _TRUE
    if element is False:
        return _FALSE
    return element


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's `_utils.equal`: == that tells booleans from numbers, also inside containers."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(i, j) for i, j in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and _equal(value, two[key]) for key, value in one.items()
        )
    return bool(_unbool(one) == _unbool(two))


def _uniq(container: list[Any]) -> bool:
    """jsonschema's `_utils.uniq`, step for step (its sorted fast path decides some NaN cases)."""
    try:
        ordered = sorted(_unbool(i) for i in container)
        return not any(_equal(i, j) for i, j in pairwise(ordered))
    except (NotImplementedError, TypeError):
        seen: list[Any] = []
        for each in map(_unbool, container):
            if any(_equal(i, each) for i in seen):
                return False
            seen.append(each)
        return True


# --- applicators ----------------------------------------------------------------------------------


def _subschemas(c: _Compiler, value: Any) -> tuple[Predicate, ...]:
    if not isinstance(value, list) or not value:
        raise _Unsupported(repr(value))
    return tuple(c.compile(sub) for sub in value)


def _all(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    return _all_of(_subschemas(c, value))


def _any(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    subs = _subschemas(c, value)
    return lambda x: any(sub(x) for sub in subs)


def _one(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    subs = _subschemas(c, value)

    def check(x: Any) -> bool:
        matches = (sub for sub in subs if sub(x))
        return next(matches, None) is not None and next(matches, None) is None

    return check


def _not(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    sub = c.compile(value)
    return lambda x: not sub(x)


def _if(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    test = c.compile(value)
    then = c.compile(schema.get("then", True))
    otherwise = c.compile(schema.get("else", True))
    return lambda x: then(x) if test(x) else otherwise(x)


def _ref(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Predicate:
    return c.ref(value)


_FACTORIES: dict[str, _Factory] = {
    "type": _type, "$ref": _ref, "enum": _enum, "const": _const, "pattern": _pattern,
    "minLength": _sized(str, at_least=True), "maxLength": _sized(str, at_least=False),
    "minimum": _minimum, "maximum": _maximum,
    "items": _items, "uniqueItems": _unique_items,
    "minItems": _sized(list, at_least=True), "maxItems": _sized(list, at_least=False),
    "minProperties": _sized(dict, at_least=True), "maxProperties": _sized(dict, at_least=False),
    "patternProperties": _pattern_properties, "propertyNames": _property_names,
    "dependentRequired": _dependent_required,
    "allOf": _all, "anyOf": _any, "oneOf": _one, "not": _not, "if": _if,
}  # fmt: skip
