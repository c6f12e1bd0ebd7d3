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

import html
import json
import os
import re
import shlex
import threading
from collections.abc import Iterable, Mapping
from typing import Any

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
        # the forms lower-cased (matching ignores case), longest first; None: to sort again
        self._ordered: tuple[tuple[str, str], ...] | None = ()
        self._unannounced: list[str] = []  # registered, not yet sent to GitHub as ::add-mask::

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
            self._ordered = None

    def _longest_first(self) -> tuple[tuple[str, str], ...]:
        ordered = self._ordered
        if ordered is None:
            with self._lock:
                lowered = {form.lower(): mask for form, mask in self._forms.items()}
                ordered = tuple(sorted(lowered.items(), key=lambda f: (-len(f[0]), f[0])))
                self._ordered = ordered
        return ordered

    def mask(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` with every secret (and every `extra` value, whatever its length) as `***`.

        Matching ignores case: a message that lower-cases a value ("did you mean ...") must not
        show it either."""
        lowered = text.lower()
        for form, replacement in self._longest_first():
            if form in lowered:
                pattern = re.compile(re.escape(form), re.IGNORECASE)
                text = pattern.sub(replacement.replace("\\", "\\\\"), text)
                lowered = text.lower()
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
            self._values, self._forms, self._ordered, self._unannounced = set(), {}, (), []


def escaped_forms(value: str) -> dict[str, str]:
    """`value` as each sink may escape it -> what replaces it: `***`, or `'***'` for a quoted
    shell word (a script stays a script). Forms shorter than MIN_LENGTH are left out."""
    from gridsync.github.actions import escape_data, escape_property
    from gridsync.output import clean
    from gridsync.render.grid_commands import double_quoted, shell_word
    from gridsync.render.markdown import md_escape

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
