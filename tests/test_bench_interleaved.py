"""The benchmarks' paired timings (bench/side_by_side.py, used by bench/train_step.py
--compare-torch): the ratio's median and spread, and the order in which the sides are timed.
Pure Python: no TensorFlow step, no PyTorch, no child process."""
import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load("side_by_side")


def test_ratio_spread_of_known_timings(bench):
    # ratios 0.5, 1.0, 2.0, 1.5, 0.75 (port / original, run by run)
    spread = bench.ratio_spread([1, 2, 4, 3, 3], [2, 2, 2, 2, 4])
    assert spread["ratios"] == [0.5, 1.0, 2.0, 1.5, 0.75]
    assert spread["median"] == 1.0
    assert (spread["min"], spread["max"]) == (0.5, 2.0)
    # sorted 0.5 0.75 1 1.5 2: quartiles by linear interpolation at 1 and 3 of 0..4
    assert (spread["q1"], spread["q3"], spread["iqr"]) == (0.75, 1.5, 0.75)
    assert spread["numerator_median"] == 3 and spread["denominator_median"] == 2
    assert bench.spread_text(spread) == "1.00 (0.50-2.00)"
    assert bench.iqr_text(spread) == "0.75-1.50"


def test_ratio_spread_interpolates_quartiles_and_omits_them_below_four(bench):
    spread = bench.ratio_spread([1, 2, 3, 4], [1, 1, 1, 1])
    assert spread["median"] == 2.5
    assert math.isclose(spread["q1"], 1.75) and math.isclose(spread["q3"], 3.25)
    three = bench.ratio_spread([3, 1, 2], [1, 1, 1])
    assert (three["median"], three["min"], three["max"]) == (2, 1, 3)
    assert three["q1"] is three["q3"] is three["iqr"] is None
    assert bench.iqr_text(three) == "-"
    one = bench.ratio_spread([1.5], [3.0])
    assert one["median"] == one["min"] == one["max"] == 0.5


def test_ratio_spread_refuses_unpaired_or_empty_timings(bench):
    with pytest.raises(ValueError):
        bench.ratio_spread([1, 2], [1])
    with pytest.raises(ValueError):
        bench.ratio_spread([], [])
    with pytest.raises(ValueError):
        bench.ratio_spread([1], [0])


def test_alternate_blocks_times_a_then_b_block_by_block(bench):
    calls = []

    def side(name, seconds):
        def run(k):
            calls.append((name, k))
            return [seconds] * k
        return run
    pairs = bench.alternate_blocks(side("keras", 0.2), side("torch", 0.4), repeats=3, block=2)
    assert calls == [("keras", 2), ("torch", 2)] * 3  # A B A B A B, 2 steps a block
    assert pairs == [([0.2, 0.2], [0.4, 0.4])] * 3


def test_first_sides_alternate_only_where_the_harness_allows_it(bench):
    assert bench.first_sides(5, alternate=True) == ["port", "original", "port", "original",
                                                    "port"]
    assert bench.first_sides(3, alternate=False) == [None, None, None]


def test_every_harness_alternates_or_states_its_order(bench):
    """The bench alternates which side goes first where the harness takes `original_first`
    (all but S2, which alternates step by step); the others' order is stated."""
    from sidebyside import PROGRAMS
    alternating = {p for p in PROGRAMS if bench.harness_takes_order(p)}
    assert alternating == set(PROGRAMS) - {"S2"}
    assert set(bench.ORDER) == set(PROGRAMS) - alternating


def test_train_step_table_shows_the_ratio_and_its_spread():
    train_step = load("train_step")
    spread = load("side_by_side").ratio_spread([300, 330, 310], [600, 500, 640])
    row = dict(model="dcgan", batch_size=16, step_ms=310.0, torch_step_ms=600.0,
               speedup_vs_torch=1.94, keras_vs_torch=spread)
    header, _, line = train_step.markdown([row]).splitlines()
    assert "keras / torch (median, min-max over 3 block pairs)" in header
    assert line.endswith("| 600.0 | 1.94 | 0.50 (0.48-0.66) |")
