"""The secrets of this run, and masking them by value wherever gridsync writes.

Secrets are registered as they are learned: the credentials of the environment when the command
starts (`register_environment`), every value taken from the environment by `${env:}`, every
external id, every Grid key, token and user id a client is built with, every string of a Terraform
output. `mask` replaces each one, longest first, by `***` in any text, also as it appears escaped
by the sinks gridsync writes to (JSON, Python repr, shell quoting, Markdown, HTML, GitHub's
workflow-command escaping). Values shorter than MIN_LENGTH characters are not masked by value:
masking `1`, `us` or `on` everywhere would hide the output without hiding a secret (the renderers
still mask sensitive fields by field, whatever their length).

The registry is one per process, append-only: secrets are learned deep inside loaders and clients
and must reach every sink (`gridsync.output`), and a run is one process. Nothing here prints.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from gridsync.escapes import (
    clean,
    double_quoted,
    escape_data,
    escape_property,
    md_escape,
    shell_word,
)

MASK = "***"
MIN_LENGTH = 4
# Environment variables whose values are always secrets. GRID_USER_ID is one half of Grid's Basic
# auth and the example workflows keep it in secrets, so it is masked too.
CREDENTIAL_VARIABLES = (
    "GRID_API_KEY",
    "GRID_USER_ID",
    "GRIDSYNC_LOCAL_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# Names of more environment variables to mask, separated by commas or spaces (for secrets gridsync
# cannot know of, e.g. ones only Terraform reads).
MARK_VARIABLE = "GRIDSYNC_MASK_ENV"


class Secrets:
    """The set of secret values of a run; thread-safe (apply registers from worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._forms: dict[str, str] = {}  # every form a secret is written in -> its mask
        self._compiled: _Matcher | None = None  # None: to build again
        self._unannounced: list[str] = []  # registered, not yet sent to GitHub as ::add-mask::
        # Counts the changes of the set: text masked at one generation is still masked right.
        self.generation = 0

    def add(self, value: str | None) -> None:
        """Register one secret (and each of its lines, when it has several)."""
        if not value:
            return
        candidates = [value, *value.splitlines()]
        with self._lock:
            new = [c.strip() for c in candidates if c.strip() not in self._values]
            new = [c for c in dict.fromkeys(new) if c]
            if not new:
                return
            self._values.update(new)
            self._unannounced.extend(new)
            for v in new:
                self._forms.update(escaped_forms(v))
            self._compiled = None
            self.generation += 1

    def _matcher(self) -> _Matcher:
        matcher = self._compiled
        if matcher is None:
            with self._lock:
                matcher = _Matcher.build(self._forms)
                self._compiled = matcher
        return matcher

    def mask(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` with every secret (and every `extra` value, whatever its length) as `***`.

        Matching ignores case: a message that lower-cases a value ("did you mean ...") must not
        show it either. Where secrets overlap, the union of their places is masked."""
        text = self._matcher().mask(text)
        for value in sorted((v for v in extra if v), key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def take_unannounced(self) -> list[str]:
        """Secrets registered since the last call, for GitHub's `::add-mask::`."""
        with self._lock:
            taken, self._unannounced = self._unannounced, []
        return taken

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def clear(self) -> None:
        with self._lock:
            self._values, self._forms, self._compiled, self._unannounced = set(), {}, None, []
            self.generation += 1


class _Matcher:
    """Every form in one case-insensitive regex shaped as a trie (one pass over the text, however
    many secrets: a fleet has one external id per cluster); very long forms are replaced one by one."""

    TRIE_LIMIT = 200  # longer forms stay out of the regex (its nesting follows their length)

    def __init__(
        self, pattern: re.Pattern[str] | None, long: tuple[str, ...], masks: dict[str, str]
    ):
        self.pattern, self.long, self.masks = pattern, long, masks

    @classmethod
    def build(cls, forms: Mapping[str, str]) -> _Matcher:
        masks = {form.lower(): mask for form, mask in forms.items()}
        short = [form for form in masks if len(form) <= cls.TRIE_LIMIT]
        long = tuple(sorted((f for f in masks if len(f) > cls.TRIE_LIMIT), key=len, reverse=True))
        pattern = re.compile(f"(?=({_trie_regex(short)}))", re.IGNORECASE) if short else None
        return cls(pattern, long, masks)

    def mask(self, text: str) -> str:
        for form in self.long:
            if form in text.lower():
                text = re.sub(re.escape(form), self.masks[form], text, flags=re.IGNORECASE)
        if self.pattern is None:
            return text
        spans = [(m.start(1), m.end(1)) for m in self.pattern.finditer(text)]
        if not spans:
            return text
        out, end = [], 0
        for start, stop in _union(spans):
            out += [text[end:start], self.masks.get(text[start:stop].lower(), MASK)]
            end = stop
        return "".join([*out, text[end:]])


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted (start, end) spans merged where they overlap."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _trie_regex(forms: Iterable[str]) -> str:
    """A regex matching any of `forms`, longest first at each place, factored as a trie."""
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [
        re.escape(char) + _node_regex(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    if len(branches) == 1 and not ends:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if ends else "")


def escaped_forms(value: str) -> dict[str, str]:
    """`value` as each sink may escape it -> what replaces it: `***`, or `'***'` for a quoted
    shell word (a script stays a script). Forms shorter than MIN_LENGTH are left out."""
    import html  # here, not at the top: a run with no secret to register does without them
    import json
    import shlex

    if len(value) < MIN_LENGTH:
        return {}
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        clean(value),
        md_escape(value),
        html.escape(clean(value), quote=False),
        double_quoted(value),
        escape_data(value),
        escape_property(value),
    }
    found = {form: MASK for form in forms if len(form) >= MIN_LENGTH}
    for quoted in (shlex.quote(value), shell_word(value)):
        if quoted != value:
            found[quoted] = f"'{MASK}'"
    return found


SECRETS = Secrets()


def register(value: str | None) -> None:
    SECRETS.add(value)


def register_all(values: Iterable[str | None]) -> None:
    for value in values:
        SECRETS.add(value)


def register_environment(env: Mapping[str, str] = os.environ) -> None:
    """The credentials of the environment, and the variables named in GRIDSYNC_MASK_ENV."""
    marked = re.split(r"[\s,]+", env.get(MARK_VARIABLE, ""))
    for name in (*CREDENTIAL_VARIABLES, *marked):
        if name:
            SECRETS.add(env.get(name))


def register_strings(value: Any) -> None:
    """Every string inside a JSON-like value (a Terraform output): keys stay, values are secret."""
    if isinstance(value, str):
        SECRETS.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            register_strings(item)
    elif isinstance(value, list):
        for item in value:
            register_strings(item)


def mask(text: str, extra: Iterable[str] = ()) -> str:
    return SECRETS.mask(text, extra)


def mask_strings(value: Any) -> Any:
    """A JSON-like value with every string masked (keys included): for API request bodies."""
    if isinstance(value, str):
        return SECRETS.mask(value)
    if isinstance(value, dict):
        return {mask_strings(k): mask_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_strings(item) for item in value]
    return value


def reset() -> None:
    """Forget every secret (tests only: a process is one run)."""
    SECRETS.clear()
