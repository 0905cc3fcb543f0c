"""The storage of decaying quantities against docs/model.md section 4.1: exact decay on each
cell's own clock, reading that changes nothing, and the cells of relations.

Expected numbers are written as powers of one half, so they do not reuse the code
under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.state import Decaying, State, ordered_pairs


def half(days: float, half_life: float) -> float:
    """What is left of 1 after `days` with this half-life."""
    return 0.5 ** (days / half_life)


# --- Decaying ---------------------------------------------------------------------------


def alone(initial: np.ndarray, half_life_days: float) -> Decaying:
    """One decaying quantity in a state of its own."""
    return State({"levels": (initial, half_life_days)})["levels"]


def grid() -> Decaying:
    """A 2 x 3 array at 0.8 everywhere, half-life 100 days."""
    return alone(np.full((2, 3), 0.8), 100.0)


def test_reading_decays_exactly_and_changes_nothing():
    """`.at` gives value * 2**(-t/h) and leaves values and stamps as they were."""
    levels = grid()
    values, stamps = levels.values.copy(), levels.stamps.copy()
    np.testing.assert_allclose(levels.at(50.0), np.full((2, 3), 0.8 * half(50, 100)), rtol=1e-14)
    assert levels.at(100.0, (1, 2)) == pytest.approx(0.4, rel=1e-14)
    np.testing.assert_allclose(levels.at(200.0, np.ix_([0, 1], [0])), [[0.2], [0.2]], rtol=1e-14)
    np.testing.assert_array_equal(levels.values, values)
    np.testing.assert_array_equal(levels.stamps, stamps)


def test_reading_often_or_rarely_gives_the_same_value():
    """Sampling frequency must not change a run: many reads then one equals one read."""
    often, rarely = grid(), grid()
    for day in range(0, 300, 7):
        often.at(float(day))
    np.testing.assert_array_equal(often.at(300.0), rarely.at(300.0))


def test_learn_brings_touched_cells_to_the_time_and_leaves_others_alone():
    """Learning at day 100 decays the cell to 0.4 and learns to 0.4 + 0.5 * 0.6 = 0.7, kept
    as of the origin (day 0: 0.7 * 2); no other cell and no stamp changes."""
    levels = grid()
    levels.learn(100.0, (0, 1), 0.5)
    assert levels.at(100.0, (0, 1)) == pytest.approx(0.7, abs=1e-14)
    assert levels.values[0, 1] == pytest.approx(1.4, abs=1e-14)
    untouched = np.ones((2, 3), dtype=bool)
    untouched[0, 1] = False
    np.testing.assert_array_equal(levels.values[untouched], 0.8)
    np.testing.assert_array_equal(levels.stamps, 0.0)
    assert levels.at(200.0, (0, 1)) == pytest.approx(0.35, abs=1e-14)
    assert levels.at(200.0, (1, 1)) == pytest.approx(0.2, abs=1e-14)


def test_rebasing_keeps_every_level_and_moves_the_origin():
    """`rebase` keeps the values as of a later time: every level at every time is the same
    to rounding, the stored numbers smaller, and the stamps at the new origin."""
    levels = grid()
    levels.learn(100.0, (0, 1), 0.5)
    before = [levels.at(day) for day in (150.0, 300.0, 1000.0)]
    levels.state.rebase(250.0)
    np.testing.assert_array_equal(levels.stamps, 250.0)
    assert levels.values[0, 1] == pytest.approx(0.7 * half(150, 100), rel=1e-14)
    for day, level in zip((150.0, 300.0, 1000.0), before, strict=True):
        np.testing.assert_allclose(levels.at(day), level, rtol=1e-14)


def test_the_origin_moves_before_stored_values_grow_large():
    """A quantity's values grow as its origin falls behind: the state moves it every
    `rebase_every` days, by when the fastest quantity's have grown by e^32 at most."""
    state = State({"fast": (np.full(2, 0.5), 10.0), "slow": (np.full(2, 0.5), 1000.0)})
    assert state.rebase_every == pytest.approx(32.0 * 10.0 / np.log(2.0), rel=1e-12)
    state["fast"].add(state.rebase_every, 0, 0.5)
    assert state.values[0] == pytest.approx((0.5 * np.exp(-32.0) + 0.5) * np.exp(32.0),
                                            rel=1e-12)


def test_learn_with_a_gain_per_row_on_a_block():
    """An `np.ix_` block with one gain per nation (row), as training uses it."""
    levels = grid()
    levels.learn(0.0, np.ix_([0, 1], [0, 2]), np.array([[0.5], [0.25]]))
    np.testing.assert_allclose(levels.values, [[0.9, 0.8, 0.9], [0.85, 0.8, 0.85]], rtol=1e-14)


def test_add_and_scale_bring_touched_cells_to_the_time():
    """add at 100: 0.4 + 0.1; scale at 200: 0.8 * 0.5 * 0.5; no stamp moves."""
    levels = grid()
    levels.add(100.0, (1, 0), 0.1)
    levels.scale(200.0, (0, 2), 0.5)
    assert levels.at(100.0, (1, 0)) == pytest.approx(0.5, abs=1e-14)
    assert levels.at(200.0, (0, 2)) == pytest.approx(0.1, abs=1e-14)
    np.testing.assert_array_equal(levels.stamps, 0.0)
    assert levels.at(300.0, (1, 0)) == pytest.approx(0.5 * 0.25, abs=1e-14)


def test_add_to_the_cells_of_ordered_pairs():
    """Relations are touched as (rows, cols): only the off-diagonal cells change."""
    relation = alone(np.zeros((3, 3)), 1095.0)
    relation.add(10.0, ordered_pairs([0, 2]), 2.0)
    expected = np.zeros((3, 3))
    expected[0, 2] = expected[2, 0] = 2.0
    np.testing.assert_allclose(relation.at(10.0), expected, rtol=1e-15)
    np.testing.assert_array_equal(relation.values == 0, expected == 0)


@pytest.mark.parametrize("first, second", [(1.0, 2.0), (30.0, 400.0), (365.0, 3650.0)])
def test_decaying_in_two_touched_steps_equals_one_step(first, second):
    """Touching a cell (adding 0) at an intermediate time does not change where it decays to."""
    touched, untouched = grid(), grid()
    touched.add(first, (0, 0), 0.0)
    touched.scale(second, (0, 0), 1.0)
    untouched.scale(second, (0, 0), 1.0)
    assert touched.at(second, (0, 0)) == pytest.approx(untouched.at(second, (0, 0)), abs=1e-12)
    assert touched.at(second, (0, 0)) == pytest.approx(0.8 * half(second, 100), abs=1e-12)


# --- ordered_pairs --------------------------------------------------------------------------


def test_ordered_pairs_are_every_pair_both_ways_without_self():
    rows, cols = ordered_pairs([2, 0, 5])
    assert sorted(zip(rows.tolist(), cols.tolist())) == [
        (0, 2), (0, 5), (2, 0), (2, 5), (5, 0), (5, 2)]
    assert rows.dtype == np.int64 and cols.dtype == np.int64


@pytest.mark.parametrize("members", [[], [4]])
def test_fewer_than_two_members_have_no_pairs(members):
    rows, cols = ordered_pairs(members)
    assert len(rows) == 0 and len(cols) == 0


def test_ordered_pairs_count_is_n_times_n_minus_one():
    rows, cols = ordered_pairs(np.arange(7))
    assert len(rows) == 42
    assert len(set(zip(rows.tolist(), cols.tolist()))) == 42
    assert not np.any(rows == cols)


# --- one gather for cells of several quantities ---------------------------------------


def test_state_reads_and_trains_cells_of_several_quantities_at_once():
    """Each cell decays at its own quantity's rate, and one learn over cells of two
    quantities gives the same bits as one learn per quantity."""
    quantities = {"fast": (np.full(3, 0.8), 10.0), "slow": (np.full((2, 2), 0.6), 1000.0)}
    together, apart = State(quantities), State(quantities)
    cells = np.concatenate([together["fast"].index[[0, 2]], together["slow"].index[1]])
    np.testing.assert_allclose(together.at(30.0, cells),
                               [0.8 * half(30, 10)] * 2 + [0.6 * half(30, 1000)] * 2, rtol=1e-14)
    together.learn(30.0, cells, np.array([0.1, 0.2, 0.3, 0.4]))
    apart["fast"].learn(30.0, [0, 2], np.array([0.1, 0.2]))
    apart["slow"].learn(30.0, 1, np.array([0.3, 0.4]))
    np.testing.assert_array_equal(together.values, apart.values)
    np.testing.assert_array_equal(together.stamps, apart.stamps)


def test_every_cell_keeps_the_one_origin_through_a_run(baseline):
    """The kernels read a quantity's decay factor from any one of its cells (early
    warning, the recorder): that holds only while every cell shares the origin, which
    events never move and `rebase` moves for all. A run long enough to rebase twice."""
    from simulator.model.engine import build

    scenario = baseline.model_copy(update={"horizon_years": 50.0})
    simulation = build(scenario, seed=2)
    every = simulation.world.state.rebase_every
    simulation.env.run(until=scenario.horizon_days)
    stamps = simulation.world.state.stamps
    assert scenario.horizon_days > 2 * every
    np.testing.assert_array_equal(stamps, stamps[0])
    assert stamps[0] == 2 * every
