"""The run edit's diff (difflib's unified diff, written directly when one line changed) and
what of a run config the desired fingerprint counts."""

from __future__ import annotations

import difflib
import random

from gridsync.plan.runs import unified_diff

PIECES = ("a\n", "b\n", "\n", "  x: 1\n", "c\r\n", "d", "e\x0bf\n")


def test_the_same_text_as_difflib_on_one_changed_line_or_more() -> None:
    rng = random.Random(7)  # noqa: S311  (test data)
    direct = 0
    for _ in range(3000):
        old = [rng.choice(PIECES) for _ in range(rng.randint(1, 14))]
        new = list(old)
        for _ in range(rng.choice((1, 1, 1, 2))):
            new[rng.randrange(len(new))] = rng.choice((*PIECES, "z\n", "q: 2\n"))
        before, after = "".join(old), "".join(new)
        lines = difflib.unified_diff(
            before.splitlines(True), after.splitlines(True), fromfile="a/r.yaml", tofile="b/r.yaml"
        )
        expected = "".join(lines)
        assert unified_diff(before, after, "r.yaml") == expected, (old, new)
        for guess in (
            rng.randint(0, len(old) + 1),
            next((i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b), 0),
        ):
            assert unified_diff(before, after, "r.yaml", guess) == expected, (old, new, guess)
        direct += sum(a != b for a, b in zip(old, new, strict=True)) == 1 and new[-1] != old[-1]
    assert direct > 100


def test_the_desired_fingerprint_counts_what_the_plan_reads_from_a_run_config() -> None:
    from gridsync.config.desired import DesiredState, RunConfig
    from gridsync.plan.diff import desired_fingerprint
    from gridsync.spec import Source

    run = RunConfig("runs/r.yaml", "run", "ml-a", Source("runs/r.yaml", 3, 14), "ml-a", "x")

    def fingerprint(changed: RunConfig) -> str:
        return desired_fingerprint(DesiredState((), (), runs=(changed,)))

    same = fingerprint(run)
    assert fingerprint(run._replace(text="other bytes")) == same  # apply re-reads the file
    for moved in ({"cluster": "ml-b"}, {"bound_to": None}, {"kind": "session"}, {"path": "r"}):
        assert fingerprint(run._replace(**moved)) != same, moved
