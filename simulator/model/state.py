"""Where the world's decaying quantities are stored, and how their cells are addressed.

Decaying quantities keep, per cell, the time they were last brought up to date,
so an event touches only the cells it changes and decay is applied exactly for
the time since (docs/model.md section 4.1). Reading never changes state, so how often
the recorder samples does not change a run.

All of them live in one flat buffer (`State`): an event gathers the cells it
reads, of any quantities, in one go and scatters what it changes in one go, and
the recorder copies the whole state with two copies. Speed here is numpy calls
per event, not arithmetic.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import EllipsisType
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.model import dynamics
from simulator.model.dynamics import Values

Positions = NDArray[np.int64]
"""Positions in an array: of nations, domains or regions in the world's, or of cells in
the state's buffers."""
Cell = int | tuple[int, ...]
"""One cell of a quantity, a position on each of its axes: read as a plain float."""
Cells = tuple[Positions, ...] | Positions | EllipsisType
"""Cells of one quantity, indexed as a numpy array of its shape is (`...`: all of them)."""


class State:
    """Every decaying quantity of a world in one flat buffer of values and one of clocks.

    A cell is addressed by its position in the buffers, so one event can read or
    change cells of several quantities with one gather and one scatter (each cell
    decays at its own quantity's rate), and the recorder copies the whole world
    with two copies, to decay a batch of such copies later in one operation.
    """

    def __init__(self, quantities: dict[str, tuple[ArrayLike, float]]):
        initials = {name: np.asarray(initial, dtype=float)
                    for name, (initial, _) in quantities.items()}
        self.values = np.concatenate([initial.ravel() for initial in initials.values()])
        self.stamps = np.zeros_like(self.values)
        self.rates = np.concatenate([
            np.full(initials[name].size, dynamics.decay_rate(half_life))
            for name, (_, half_life) in quantities.items()
        ])
        self.layout: dict[str, tuple[slice, tuple[int, ...]]] = {}
        """Where each quantity lies in the buffers, and its shape."""
        offset = 0
        for name, initial in initials.items():
            self.layout[name] = slice(offset, offset + initial.size), initial.shape
            offset += initial.size

    def __getitem__(self, name: str) -> Decaying:
        """A handle on one quantity (the state keeps none: no reference cycle, so a run's
        state is freed as soon as the run is done with it)."""
        return Decaying(self, *self.layout[name])

    @overload
    def at(self, time: float, positions: np.integer, rate: float | None = None) -> float: ...
    @overload
    def at(self, time: float, positions: Positions, rate: float | None = None
           ) -> NDArray[np.float64]: ...

    def at(self, time: float, positions: Positions | np.integer, rate: float | None = None
           ) -> Values:
        """Values at `time` of the cells at `positions`, without changing anything; `rate`
        when they all belong to one quantity (saves a gather)."""
        if isinstance(positions, np.integer):  # one cell: plain floats cost far less
            cell = int(positions)
            rate = self.rates.item(cell) if rate is None else rate
            return dynamics.decayed(self.values.item(cell), rate, time - self.stamps.item(cell))
        rates = self.rates.take(positions) if rate is None else rate
        return dynamics.decayed(self.values.take(positions), rates,
                                time - self.stamps.take(positions))

    def learn(self, time: float, positions: Positions | np.integer, gain: Values,
              rate: float | None = None) -> None:
        """Apply the learning rule to the cells at `positions`, as of `time`."""
        self.put(time, positions, dynamics.learn(self.at(time, positions, rate), gain))

    def add(self, time: float, positions: Positions | np.integer, amount: Values,
            rate: float | None = None) -> None:
        self.put(time, positions, self.at(time, positions, rate) + amount)

    def scale(self, time: float, positions: Positions | np.integer, factor: float,
              rate: float | None = None) -> None:
        self.put(time, positions, self.at(time, positions, rate) * factor)

    def put(self, time: float, positions: Positions | np.integer, values: Values) -> None:
        """Write `values`, which are as of `time`, to the cells at `positions`."""
        if isinstance(positions, np.integer):
            self.values[positions], self.stamps[positions] = values, time
            return
        self.values.put(positions, values)
        self.stamps.put(positions, time)

    def levels(self, values: NDArray[np.float64], elapsed: NDArray[np.float64]
               ) -> dict[str, NDArray[np.float64]]:
        """Every quantity from a copy of `values` read `elapsed` days after each cell's
        stamp; with a batch of copies (one per row) each quantity gains a leading
        axis. Works in `elapsed`, which it overwrites."""
        decayed = dynamics.decayed(values, self.rates, elapsed, out=elapsed)
        batch = decayed.shape[:-1]
        return {name: decayed[..., cut].reshape(batch + shape)
                for name, (cut, shape) in self.layout.items()}


class Decaying:
    """One quantity of a `State`: an array whose cells decay toward zero with one
    half-life, each on its own clock, indexed like a numpy array of its shape."""

    def __init__(self, state: State, cut: slice, shape: tuple[int, ...]):
        self.state = state
        self.rate = float(state.rates[cut.start]) if cut.stop > cut.start else 0.0
        self.index = np.arange(cut.start, cut.stop).reshape(shape)
        """Position of each cell in the state's buffers."""
        self.values = state.values[cut].reshape(shape)
        self.stamps = state.stamps[cut].reshape(shape)

    @overload
    def at(self, time: float, cells: Cell) -> float: ...
    @overload
    def at(self, time: float, cells: Cells = ...) -> NDArray[np.float64]: ...

    def at(self, time: float, cells: Cell | Cells = ...) -> Values:
        """Values of `cells` at `time`, without changing anything."""
        return self.state.at(time, self.index[cells], self.rate)

    def learn(self, time: float, cells: Cell | Cells, gain: Values) -> None:
        """Apply the learning rule to `cells` at `time`."""
        self.state.learn(time, self.index[cells], gain, self.rate)

    def add(self, time: float, cells: Cell | Cells, amount: Values) -> None:
        self.state.add(time, self.index[cells], amount, self.rate)

    def scale(self, time: float, cells: Cell | Cells, factor: float) -> None:
        self.state.scale(time, self.index[cells], factor, self.rate)


def ordered_pairs(members: Sequence[int] | Positions) -> tuple[Positions, Positions]:
    """Every (i, j) with i != j among distinct `members`, row by row: the cells of a
    relation between them."""
    members = np.asarray(members, dtype=np.int64)
    left, right = pair_positions(len(members))
    return members[left], members[right]


@functools.lru_cache(maxsize=1024)
def pair_positions(count: int) -> tuple[Positions, Positions]:
    """Positions (a, b), a != b, among `count` members, row by row (kept: groups recur)."""
    left = np.repeat(np.arange(count), count)
    right = np.tile(np.arange(count), count)
    keep = left != right
    positions = left[keep], right[keep]
    for cached in positions:
        cached.setflags(write=False)  # shared by every caller
    return positions


def grid(rows: Positions, cols: Positions) -> tuple[Positions, Positions]:
    """The cells of every (row, col) combination, as `np.ix_` gives them, built cheaply."""
    return rows[:, None], cols[None, :]
