"""``JavaRandom`` against outputs of the real ``java.util.Random``.

``golden/java_random.txt`` was printed by ``golden/JavaRandomGolden.java`` (run it with
``java JavaRandomGolden.java > java_random.txt`` to regenerate, only on purpose). Doubles are
compared by their IEEE bits, so the check is exact.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from asamblea.counting.javarandom import JavaRandom, floor_times
from asamblea.counting.tiebreak import java_hashset_order

GOLDEN = Path(__file__).parent / "golden" / "java_random.txt"
BOUNDS = [2, 3, 7, 10, 16, 1000, 1 << 30, 2147483647]


def _golden_rows() -> list[tuple[int, dict[str, str]]]:
    rows = []
    for line in GOLDEN.read_text().splitlines():
        if line.startswith("hashset="):
            continue
        seed, *fields = line.split(" ")
        rows.append((int(seed), dict(f.split("=", 1) for f in fields)))
    return rows


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _double_bits(rng: JavaRandom) -> int:
    # Exact: the value is k / 2**53 with k < 2**53, which a double holds without rounding.
    value = rng.next_double()
    return struct.unpack(">q", struct.pack(">d", value.numerator / value.denominator))[0]


def test_golden_file_covers_eight_seeds() -> None:
    assert len(_golden_rows()) == 8


@pytest.mark.parametrize(("seed", "expected"), _golden_rows(), ids=lambda v: str(v)[:20])
def test_sequence_matches_java_for_seed(seed: int, expected: dict[str, str]) -> None:
    rng = JavaRandom(seed)
    assert [rng.next_int() for _ in range(3)] == _ints(expected["ints"])
    assert [rng.next_int(b) for b in BOUNDS] == _ints(expected["bounded"])
    assert [_double_bits(rng) for _ in range(3)] == _ints(expected["doubles"])
    assert rng.next_long() == int(expected["long"])
    items = list("ABCDEFG")
    rng.shuffle(items)
    assert "".join(items) == expected["shuffle"]
    assert [floor_times(rng.next_double_units(), n) for n in range(2, 7)] == _ints(
        expected["floor"]
    )


def test_hashset_order_matches_java() -> None:
    line = next(x for x in GOLDEN.read_text().splitlines() if x.startswith("hashset="))
    names = ["Sneezy", "Dopey", "Grumpy", "Happy", "Bashful", "Doc", "Sleepy"]
    assert java_hashset_order(names) == line.removeprefix("hashset=").split(",")


def test_floor_times_rounds_the_product_like_a_double() -> None:
    # k * 3 / 2**53 is exactly 2 - 2**-53, a tie between two doubles that rounds to even: 2.0.
    # Java prints 2 for (int) Math.floor(6004799503160661L * 0x1.0p-53 * 3.0).
    assert floor_times(6004799503160661, 3) == 2
    # Just below 3, but far enough to stay below after rounding (Java: 2).
    assert floor_times((1 << 53) - 1, 3) == 2
    assert floor_times((1 << 53) - 1, 2) == 1
    assert floor_times(0, 5) == 0


def test_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        JavaRandom(1).next_int(0)
