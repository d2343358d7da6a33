"""What the fast path counts: its methods, its precision bound, and why it declines the rest.

Apart from the package's ``__init__`` so that the fast modules import it without a cycle back
through the package.
"""

from __future__ import annotations

from typing import Any

METHODS = ("irv", "stv-scottish", "stv-meek", "schulze")

# RCTab ballot values are int64 in units of 10^-places (``fast.irv``): value x surplus fraction,
# both at most 10^places, must fit.
MAX_PLACES = 9

# Below this many ballots the exact path is fast enough, and its code is the specification.
LARGE = 20_000

# Below this many distinct rankings the exact path is faster whatever the number of ballots: it
# works on grouped ballots, so its cost follows the distinct rankings, while the fast path pays
# NumPy's import and the array's construction (docs/adr/0011-reading-ballot-files.md measures it).
FEW_DISTINCT = 10_000

# The fast kernels add whole ballots, or ballot values in units of 10^-9 at the finest, in int64:
# a total below 2^32 keeps 2^32 x 10^9 < 2^63. The exact path counts any whole number (Python
# ints), so a larger total goes there. The design's largest vote is 20 million ballots.
MAX_TOTAL = 2**32 - 1


class NotSupported(ValueError):
    """The fast path does not count this method, these rules or these ballots."""


def supports(method: str, *, seats: int = 1, rules: Any = None) -> str | None:
    """``None`` when the fast path counts ``method`` with these seats and rules, else why not."""
    if rules is not None:
        from asamblea.counting import irv

        options = getattr(rules, "options", rules)
        if not isinstance(options, irv.IrvOptions):
            return "rules: only RCTab options (IrvOptions) are taken"
        if options.mode not in irv.MODES:
            return f"unknown RCTab mode {options.mode!r}"
        if options.places > MAX_PLACES:
            # Ballot values are int64 in units of 10^-places; value x fraction must fit.
            return f"more than {MAX_PLACES} decimal places run on the exact path"
        return None
    if method not in METHODS:
        return f"method {method!r} runs on the exact path"
    return None
