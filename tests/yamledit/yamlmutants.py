"""Damaged run configs for the differential tests of the editor: a text with a few random pieces
inserted or replaced, deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Sequence


def mutants(text: str, pieces: Sequence[str], count: int, seed: int) -> list[str]:
    """`count` variants of `text`, each with one to three pieces inserted (or replacing 1-2
    characters) at random places."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    texts = []
    for _ in range(count):
        mutant = text
        for _ in range(rng.randint(1, 3)):
            at, cut = rng.randrange(len(mutant) + 1), rng.choice((0, 0, 1, 2))
            mutant = mutant[:at] + rng.choice(pieces) + mutant[at + cut :]
        texts.append(mutant)
    return texts
