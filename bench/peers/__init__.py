"""Adapters that count an in-memory ranking array with an independent library.

Each adapter module has ``NAME`` and ``METHODS``: method -> callable ``(array, n_candidates,
seats) -> winners`` (candidate indices), or a string saying why the library lacks the method.
The array is the one `asamblea.counting.fast.synth` makes: one row per ballot, candidate indices,
-1 after the last mark. Every adapter starts from the array (grouping included, so that the timed
region is the same as ours) and, to give each library its best chance, groups identical rows with
NumPy before building the library's own input: the libraries then spend time only on distinct
rankings.
"""

from __future__ import annotations

import numpy as np


def distinct_rankings(array: np.ndarray) -> tuple[list[tuple[int, ...]], list[int]]:
    """Distinct rows of ``array`` as tuples of candidate indices (padding dropped), with counts."""
    rows, counts = np.unique(array, axis=0, return_counts=True)
    rankings = [tuple(int(x) for x in row if x >= 0) for row in rows.tolist()]
    return rankings, [int(n) for n in counts]
