"""The secrets of this run, and masking them by value wherever gridsync writes.

Secrets are registered as they are learned: the credentials of the environment when the command
starts (`register_environment`), every value taken from the environment by `${env:}`, every
external id, every Grid key, token and user id a client is built with, every string of a Terraform
output. `mask` replaces each one by `***` in any text, in any case, also as it appears escaped by
the sinks gridsync writes to (JSON, Python repr, shell quoting, Markdown, HTML, GitHub's
workflow-command escaping) and escaped twice (a message quoting a value by its repr, with a `'`
escaped when the text around it holds a `"`, written into JSON or Markdown). A name derived
from a value (a script's variable) is derived from the value as masked (render.grid_commands), so
it holds no secret to find. Text that is cut to a length goes through `shorten`, which masks
first: the first characters of a secret are no longer a secret `mask` knows. Values shorter
than MIN_LENGTH characters are not masked by value: masking `1`, `us` or `on` everywhere would
hide the output without hiding a secret (the renderers still mask sensitive fields by field,
whatever their length).

The registry is one per process, append-only: secrets are learned deep inside loaders and clients
and must reach every sink (`gridsync.output`), and a run is one process. Nothing here prints.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
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
    "GRIDSYNC_LOCAL_USER_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",  # the older name of AWS_SESSION_TOKEN, which botocore still reads
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# Prefixes of variables that are credentials or settings of the grid CLI and of the Actions
# runner (GRID_URL, GRID_CREDENTIAL_PATH, ACTIONS_ID_TOKEN_REQUEST_URL, ...).
_CREDENTIAL_PREFIXES = ("GRID_", "ACTIONS_")
# Names of more environment variables to mask, separated by commas or spaces (for secrets gridsync
# cannot know of, e.g. ones only Terraform reads).
MARK_VARIABLE = "GRIDSYNC_MASK_ENV"
# Characters none of escaped_forms' escapings changes: a secret of only these is written as it is
# by every sink (only its quoted shell word differs).
_INERT = re.compile(r"[A-Za-z0-9./+=@-]+")


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
    """Every form, case-folded, in one Aho-Corasick automaton (pyahocorasick): one pass over the
    lower-cased text finds every place any form is written, however many secrets there are (a
    fleet has one external id per cluster). A regex of every form took seconds to compile at a
    few thousand clusters, and grew faster than the fleet."""

    CHUNK = 1 << 16  # characters lower-cased and searched at a time (the automaton reads UCS-4)

    def __init__(self, automaton: Any, masks: dict[str, str]) -> None:
        self.automaton, self.masks = automaton, masks
        self.longest = max(map(len, masks), default=0)

    @classmethod
    def build(cls, forms: Mapping[str, str]) -> _Matcher:
        masks = {fold(form): mask for form, mask in forms.items()}
        if not masks:
            return cls(None, masks)
        import ahocorasick  # here: a run with no secret builds no automaton

        automaton = ahocorasick.Automaton()
        for form in masks:
            automaton.add_word(form, len(form))
        automaton.make_automaton()
        return cls(automaton, masks)

    def mask(self, text: str) -> str:
        if self.automaton is None or not text:
            return text
        spans = self._places(text)
        if not spans:
            return text
        out, end = [], 0
        for start, stop in _union(spans):
            out += [text[end:start], self.masks.get(fold(text[start:stop]), MASK)]
            end = stop
        return "".join([*out, text[end:]])

    def _places(self, text: str) -> list[tuple[int, int]]:
        """Every (start, end) where a form is written. The text is searched CHUNK characters at
        a time, each piece starting far enough back that a form ending in it is wholly in it (a
        whole plan's text in UCS-4 was four times its size again); a place is counted in the
        piece its end falls in."""
        spans: list[tuple[int, int]] = []
        for start in range(0, len(text), self.CHUNK):
            back = max(0, start - self.longest + 1)
            piece, origin = _lowered(text[back : start + self.CHUNK])
            for end, length in self.automaton.iter(piece):
                stop = back + origin(end) + 1
                if stop > start:
                    spans.append((back + origin(end - length + 1), stop))
        return spans


def fold(text: str) -> str:
    """`text` lower-cased the same wherever it stands: str.lower writes a capital sigma as a
    final sigma at the end of a word and as a sigma inside one, so a secret ending in one would
    fold apart from itself followed by a letter; both are folded to the sigma."""
    return text.lower().replace("\u03c2", "\u03c3")


def _lowered(text: str) -> tuple[str, Callable[[int], int]]:
    """`text` folded, and where each of its characters comes from in `text`: the same place,
    unless a character lower-cases to two (U+0130), when the places are counted one by one."""
    lowered = fold(text)
    if len(lowered) == len(text):
        return lowered, _same
    origin: list[int] = []
    for index, char in enumerate(text):
        origin.extend([index] * len(char.lower()))
    return lowered, origin.__getitem__


def _same(index: int) -> int:
    return index


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted (start, end) spans merged where they overlap."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def escaped_forms(value: str) -> dict[str, str]:
    """`value` as each sink may escape it -> what replaces it: `***`, or `'***'` for a quoted
    shell word (a script stays a script). Forms shorter than MIN_LENGTH are left out."""
    if len(value) < MIN_LENGTH:
        return {}
    # Most secrets (a fleet's external ids): no sink escapes them, only their shell word differs.
    if _INERT.fullmatch(value):
        return {value: MASK, shell_word(value): f"'{MASK}'"}
    return _every_form(value)


def _every_form(value: str) -> dict[str, str]:
    import html  # here, not at the top: a run with no secret to register does without them
    import json
    import shlex

    def escaped(text: str) -> set[str]:
        return {
            text,
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            repr(text)[1:-1],
            clean(text),
            md_escape(text),
            html.escape(clean(text), quote=False),
            double_quoted(text),
            escape_data(text),
            escape_property(text),
        }

    # The value, and the value as a message quotes it (its repr), each as every sink escapes it.
    forms = escaped(value).union(*map(escaped, _repr_bodies(value)))
    found = {form: MASK for form in forms if len(form) >= MIN_LENGTH}
    for quoted in (shlex.quote(value), shell_word(value)):
        if quoted != value:
            found[quoted] = f"'{MASK}'"
    return found


def _repr_bodies(value: str) -> set[str]:
    """`value` as the repr of a text holding it writes it. repr picks its quotes by the whole
    text, and escapes `'` only when that text also holds a `"`: a message quoting `x"` + value
    (`{path!r}`) writes `it\\'s` where repr of the value alone writes `it's`. A `"` is never
    escaped by repr (it quotes with `'` whenever the text holds both)."""
    beside_both = repr(value + "\"'")  # ends in the two quotes as repr writes them, then its own
    return {repr(value)[1:-1], beside_both[1:-4]}


def shorten(text: str, limit: int, tail: str = "...") -> str:
    """`text` masked, then cut to at most `limit` characters ending in `tail`: cutting first
    would leave the first characters of a secret, which `mask` no longer knows."""
    text = mask(text)
    return text if len(text) <= limit else text[: max(0, limit - len(tail))] + tail


SECRETS = Secrets()


def register(value: str | None) -> None:
    SECRETS.add(value)


def register_all(values: Iterable[str | None]) -> None:
    for value in values:
        SECRETS.add(value)


def is_credential(name: str) -> bool:
    """Whether the environment variable `name` is one of the credentials gridsync and the CI run
    with. A cluster file may never read one with `${env:}` (config.envsubst): its value would
    be sent to Grid or given to Terraform, both places a pull request's author chooses."""
    return name in CREDENTIAL_VARIABLES or name.startswith(_CREDENTIAL_PREFIXES)


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
    """A JSON-like value with every string masked (keys included): for API request bodies and
    the apply record. Returned as it is when no string in it holds a secret, which one pass over
    its strings joined by NUL tells (a secret in any string is in the joined text; a match across
    a NUL only sends it the long way): 3.4 us instead of 15.5 for a cluster's public fields."""
    strings: list[str] = []
    _strings(value, strings)
    joined = "\x00".join(strings)
    if SECRETS.mask(joined) == joined:
        return value
    return _masked(value)


def _strings(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _strings(key, into)
            _strings(item, into)
    elif isinstance(value, list):
        for item in value:
            _strings(item, into)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return SECRETS.mask(value)
    if isinstance(value, dict):
        return {_masked(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def reset() -> None:
    """Forget every secret (tests only: a process is one run)."""
    SECRETS.clear()
