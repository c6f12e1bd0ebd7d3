"""`${env:NAME}` and `${env:NAME:-default}` in YAML string values.

Rules: a reference may be the whole string or embedded in a longer one; `$${` writes a literal `${`;
`:-default` is used when NAME is unset or empty (as in the shell). A string with a reference to a
variable that is unset and has no default stays exactly as written and is reported as unresolved. A
value containing a newline or another control character is refused: it could smuggle text into the
spec. A reference to a credential gridsync or the CI runs with (`redact.is_credential`: the Grid
key, AWS keys, GitHub tokens) is refused whether it is set or not: a pull request could send it
to Grid in a role ARN or to its own Terraform module as a variable. The environment is always
passed in; nothing here reads ``os.environ``. Every value taken from the environment is listed
in `Substituted.secrets`, for the caller to register with `gridsync.redact` (this module stays
pure).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, NamedTuple

from gridsync.config.yamlsrc import YamlPath
from gridsync.redact import is_credential

_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{")
_BODY = re.compile(r"env:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)
_LITERAL = "$${"  # written for a literal "${"
SYNTAX_HINT = "write ${env:NAME} or ${env:NAME:-default}, or $${ for a literal ${"


class Substituted(NamedTuple):
    """One string after substitution."""

    value: str  # the original text when anything is unresolved or wrong
    references: tuple[str, ...] = ()  # every variable named, set or not
    unresolved: tuple[str, ...] = ()  # named, unset, no default
    errors: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()  # the values taken from the environment (not defaults)


class SubstitutedTree(NamedTuple):
    """A whole document after substitution, with what happened at each string's path."""

    value: Any
    strings: dict[YamlPath, Substituted]  # only strings with `${`


def substitute(text: str, env: Mapping[str, str]) -> Substituted:
    """Expand the references in one string; see the module docstring for the rules."""
    if "${" not in text:
        return Substituted(text)
    parts: list[str] = []
    references: list[str] = []
    unresolved: list[str] = []
    errors: list[str] = []
    end = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[end : match.start()])
        end = match.end()
        parts.append(_expand(match, env, references, unresolved, errors))
    parts.append(text[end:])
    secrets = tuple(env[name] for name in references if env.get(name))
    if unresolved or errors:
        return Substituted(text, tuple(references), tuple(unresolved), tuple(errors), secrets)
    return Substituted("".join(parts), tuple(references), secrets=secrets)


def _expand(
    match: re.Match[str],
    env: Mapping[str, str],
    references: list[str],
    unresolved: list[str],
    errors: list[str],
) -> str:
    token = match.group(0)
    if token == _LITERAL:
        return "${"
    if match.group("body") is None:
        errors.append(f"'${{' without a closing '}}'; {SYNTAX_HINT}")
        return token
    body = _BODY.fullmatch(match.group("body"))
    if body is None:
        errors.append(f"'{token}' is not a valid reference; {SYNTAX_HINT}")
        return token
    name, default = body.group("name"), body.group("default")
    references.append(name)
    if is_credential(name):
        errors.append(
            f"${{env:{name}}} reads a credential gridsync or the CI runs with; a cluster file "
            "can never read one (it would reach Grid or Terraform): give the value a variable "
            "of its own"
        )
        return token
    value = env.get(name)
    if default is not None and not value:
        return default
    if value is None:
        unresolved.append(name)
        return token
    if has_control(value):
        errors.append(
            f"environment variable {name} contains a newline or control character; "
            "refusing to use it"
        )
        return token
    return value


def has_control(value: str) -> bool:
    if value.isascii():  # the ASCII controls are exactly what is not printable there
        return not value.isprintable()
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)


def substitute_tree(value: Any, env: Mapping[str, str]) -> SubstitutedTree:
    """Substitute every string value (not keys) of a plain YAML value, recording per path.

    Copy on write: a mapping or list holding no substituted string is the one given (the values
    are never changed in place), so a document is walked without being rebuilt."""
    strings: dict[YamlPath, Substituted] = {}
    return SubstitutedTree(_walk(value, (), env, strings), strings)


def _walk(
    value: Any, path: YamlPath, env: Mapping[str, str], strings: dict[YamlPath, Substituted]
) -> Any:
    if isinstance(value, str):
        result = substitute(value, env)
        if result.references or result.errors or result.value != value:
            strings[path] = result
        return result.value
    if not isinstance(value, dict | list):
        return value
    items = value.items() if isinstance(value, dict) else enumerate(value)
    copy: Any = None
    for key, item in items:
        if type(item) is str:
            if "${" not in item:  # most values: nothing to substitute, no call
                continue
        elif not isinstance(item, dict | list):
            continue
        new = _walk(item, (*path, key), env, strings)
        if new is not item:
            if copy is None:
                copy = dict(value) if isinstance(value, dict) else list(value)
            copy[key] = new
    return value if copy is None else copy
