"""Designs of futures: where in the space of uncertain factors an exploration looks.

Each sampler is SALib's (Latin hypercube, Sobol' for Saltelli's estimator, Morris
trajectories) or a full factorial grid; a design is drawn in each factor's own
space, uniform or uniform in the logarithm, and the analysis reads it in that space
again (`unit_space`). Sobol' and Morris designs of a size begin with the design of
any smaller size (same seed), so an exploration grown from 256 to 512 futures reuses
every run it made.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Sampler = Literal["lhs", "sobol", "morris", "factorial", "table"]
EXTENDABLE: frozenset[Sampler] = frozenset({"sobol", "morris", "table"})
"""Samplers whose larger designs begin with their smaller ones: more futures add runs."""
MORRIS_LEVELS = 4
"""Grid levels of a Morris design (SALib's default; Saltelli et al. 2008 recommend 4)."""


@dataclass(frozen=True)
class Factor:
    """An uncertain factor as a design sees it: a name and the interval it is drawn from,
    uniformly, or uniformly in the logarithm when `log`."""

    name: str
    low: float
    high: float
    log: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        """The interval in the space the design is uniform in."""
        if self.log:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high


def problem(factors: Sequence[Factor]) -> dict:
    """SALib's description of the factors, in the space the design is uniform in."""
    return {"num_vars": len(factors), "names": [factor.name for factor in factors],
            "bounds": [list(factor.bounds) for factor in factors]}


def unit_space(values: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """A design's values (futures x factors) back in the space it was drawn uniformly in:
    what SALib's analyses take."""
    logged = np.array([factor.log for factor in factors], dtype=bool)
    unit = np.array(values, dtype=float)
    unit[:, logged] = np.log(unit[:, logged])
    return unit


def size_problem(sampler: Sampler, factors: int, futures: int,
                 levels: int | None = None) -> str | None:
    """Why `futures` is not a size `sampler` makes for this many factors, with the sizes
    near it that are; None if it is one."""
    if sampler == "sobol":
        step = factors + 2
        base = futures / step
        if base >= 2 and base == 2 ** round(math.log2(base)):
            return None
        lower = 2 ** max(1, math.floor(math.log2(max(base, 1))))
        nearby = sorted({lower * step, 2 * lower * step})
        return (f"a Sobol' design for {factors} uncertainties has N x {step} futures, N a "
                f"power of two from 2 (Saltelli's estimator); try {' or '.join(map(str, nearby))}")
    if sampler == "morris":
        step = factors + 1
        if futures % step == 0 and futures // step >= 2:
            return None
        lower = max(2, futures // step)
        return (f"a Morris design for {factors} uncertainties has r x {step} futures (r "
                f"trajectories, at least 2); try {lower * step} or {(lower + 1) * step}")
    if sampler == "factorial":
        assert levels is not None
        if futures == levels ** factors:
            return None
        return (f"a full factorial of {levels} levels of {factors} uncertainties has "
                f"{levels ** factors} futures; leave `futures` out, or change `levels`")
    return None if futures >= 2 else "an exploration needs at least 2 futures"


def sample(sampler: Sampler, factors: Sequence[Factor], futures: int, seed: int,
           levels: int = 2) -> np.ndarray:
    """`futures` points (futures x factors) in the factors' own units.

    `table` designs are read, not sampled; a factorial grid takes `levels` evenly spaced
    values of each factor, ends included.
    """
    from SALib.sample import latin, morris, sobol

    spec = problem(factors)
    seed32 = seed % 2**32  # SALib's samplers take a 32-bit seed
    if sampler == "lhs":
        points = latin.sample(spec, futures, seed=seed32)
    elif sampler == "sobol":
        with warnings.catch_warnings():  # SALib warns of N, which `size_problem` checked
            warnings.simplefilter("ignore")
            points = sobol.sample(spec, futures // (len(factors) + 2), calc_second_order=False,
                                  scramble=True, seed=seed32)
    elif sampler == "morris":
        points = morris.sample(spec, futures // (len(factors) + 1), num_levels=MORRIS_LEVELS,
                               seed=seed32)
    elif sampler == "factorial":
        grids = [np.linspace(*factor.bounds, levels) for factor in factors]
        points = np.array(list(itertools.product(*grids)), dtype=float)
    else:
        raise ValueError(f"a {sampler!r} design is read from its file, not sampled")
    logged = np.array([factor.log for factor in factors], dtype=bool)
    points = np.array(points, dtype=float)
    points[:, logged] = np.exp(points[:, logged])
    return points
