"""Where the world's decaying quantities are stored, and how their cells are addressed.

A decaying quantity keeps its cells' values as of one time, its origin: a cell's
level at time t is its value times the decay factor from the origin to t, and an
event that changes a cell stores the new level grown back to the origin. So an
event touches only the cells it changes, decay is applied exactly for the time
since (docs/model.md section 4.1), and reading never changes state (how often the
recorder samples does not change a run). Since every cell of a quantity shares
its origin, the recorder reads a whole quantity with one factor. Stored values
grow as the origin falls behind, so `rebase` moves it up to now every
`rebase_every` days.

All of them live in one flat buffer (`State`): an event gathers the cells it
reads, of any quantities, in one go and scatters what it changes in one go.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from types import EllipsisType
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.model import dynamics, kernels
from simulator.model.dynamics import Values

REBASE_GROWTH = 32.0
"""How far (as a power of e) a stored value may grow before the origin moves: e^32 is
about 8e13, so a level read back loses at most a few units in the last place."""
Positions = NDArray[np.int64]
"""Positions in an array: of nations, domains or regions in the world's, or of cells in
the state's buffers."""
Cell = int | tuple[int, ...]
"""One cell of a quantity, a position on each of its axes: read as a plain float."""
Cells = tuple[Positions, ...] | Positions | EllipsisType
"""Cells of one quantity, indexed as a numpy array of its shape is (`...`: all of them)."""


class State:
    """Every decaying quantity of a world in one flat buffer of values and one of
    stamps, the origin each value is kept as of (the same for a quantity's cells).

    A cell is addressed by its position in the buffers, so one event can read or
    change cells of several quantities with one gather and one scatter (each cell
    decays at its own quantity's rate).
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
        self.rebase_every = REBASE_GROWTH / float(self.rates.max(initial=0.0)) \
            if self.rates.any() else math.inf
        """Days between moves of the origin: by then the fastest quantity's stored values
        have grown by at most exp(`REBASE_GROWTH`)."""
        self.layout: dict[str, tuple[slice, tuple[int, ...]]] = {}
        """Where each quantity lies in the buffers, and its shape."""
        offset = 0
        for name, initial in initials.items():
            self.layout[name] = slice(offset, offset + initial.size), initial.shape
            offset += initial.size

    def rebase(self, time: float) -> None:
        """Keep every value as of `time` from now on: the same levels, smaller numbers."""
        self.values[:] = dynamics.decayed(self.values, self.rates, time - self.stamps)
        self.stamps.fill(time)

    def starts(self, *names: str) -> Positions:
        """Where the quantities `names` begin in the buffers, in that order: for kernels,
        which address a quantity's cells from its start."""
        return np.array([self.layout[name][0].start for name in names], dtype=np.int64)

    def __getitem__(self, name: str) -> Decaying:
        """A handle on one quantity (the state keeps none: no reference cycle, so a run's
        state is freed as soon as the run is done with it)."""
        return Decaying(self, *self.layout[name])

    @overload
    def at(self, time: float, positions: int | np.integer) -> float: ...
    @overload
    def at(self, time: float, positions: Positions) -> NDArray[np.float64]: ...

    def at(self, time: float, positions: Positions | int | np.integer) -> Values:
        """Values at `time` of the cells at `positions`, without changing anything."""
        if isinstance(positions, int | np.integer):  # one cell: a plain float
            return kernels.cell_at(self.values, self.stamps, self.rates, int(positions),
                                   float(time))
        levels = kernels.cells_at(self.values, self.stamps, self.rates, positions.ravel(),
                                  float(time))
        return levels.reshape(positions.shape)

    def learn(self, time: float, positions: Positions | int | np.integer, gain: Values
              ) -> None:
        """Apply the learning rule to the cells at `positions`, as of `time`."""
        self._change(kernels.learn_cell, kernels.learn_cells, time, positions, gain)

    def add(self, time: float, positions: Positions | int | np.integer, amount: Values
            ) -> None:
        self._change(kernels.add_to_cell, kernels.add_to_cells, time, positions, amount)

    def scale(self, time: float, positions: Positions | int | np.integer, factor: float
              ) -> None:
        self.put(time, positions, self.at(time, positions) * factor)

    def put(self, time: float, positions: Positions | int | np.integer, values: Values
            ) -> None:
        """Write `values`, which are as of `time`, to the cells at `positions`."""
        self._change(kernels.put_cell, kernels.put_cells, time, positions, values)

    def _change(self, one: Callable[..., None], each: Callable[..., None], time: float,
                positions: Positions | int | np.integer, amounts: Values) -> None:
        """Change the cells at `positions` with the kernel `one` (a single cell) or `each`,
        given an amount per cell (`amounts` broadcasts to `positions`)."""
        if isinstance(positions, int | np.integer):
            one(self.values, self.stamps, self.rates, int(positions), float(amounts),
                float(time))
            return
        if not (type(amounts) is np.ndarray and amounts.shape == positions.shape
                and positions.ndim == 1 and amounts.dtype == np.float64):  # as events give
            amounts = np.ascontiguousarray(
                np.broadcast_to(np.asarray(amounts, dtype=float), positions.shape)).ravel()
            positions = positions.ravel()
        each(self.values, self.stamps, self.rates, positions, amounts, float(time))

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
        self._cells = range(cut.start, cut.stop) if len(shape) == 1 else range(0)
        """The cells of a quantity of one axis (per nation, per region), read often and
        one at a time."""

    @overload
    def at(self, time: float, cells: Cell) -> float: ...
    @overload
    def at(self, time: float, cells: Cells = ...) -> NDArray[np.float64]: ...

    def at(self, time: float, cells: Cell | Cells = ...) -> Values:
        """Values of `cells` at `time`, without changing anything."""
        if type(cells) is int and 0 <= cells < len(self._cells):  # one nation's, quickly
            state = self.state
            return kernels.cell_at(state.values, state.stamps, state.rates,
                                   self._cells[cells], float(time))
        return self.state.at(time, self.index[cells])

    def learn(self, time: float, cells: Cell | Cells, gain: Values) -> None:
        """Apply the learning rule to `cells` at `time`."""
        self.state.learn(time, self.index[cells], gain)

    def add(self, time: float, cells: Cell | Cells, amount: Values) -> None:
        self.state.add(time, self.index[cells], amount)

    def scale(self, time: float, cells: Cell | Cells, factor: float) -> None:
        self.state.scale(time, self.index[cells], factor)


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
