"""Ranking and selection: which policy variant is best, with a guarantee, on paired data.

Every function works on plain arrays whose rows are replications and whose columns
are systems (policy variants); row r of every column ran with the same seed (common
random numbers), so the procedures judge systems by their paired differences, whose
variance CRN makes small. Nothing here knows about the simulator: a caller that
draws replications itself (the experiment runner, which must be able to resume)
feeds rows to `KimNelson`; anything else passes a `sample(n)` callable to `kn`.

- `KimNelson` / `kn`: Kim & Nelson's (2001) fully sequential procedure. It
  eliminates a system as soon as the paired evidence says it is worse, and picks
  the best with probability at least `confidence` when the best is ahead of every
  other system by at least `delta` (the indifference zone); closer than that, any
  choice is as good.
- `rinott` / `rinott_h`: Rinott's (1978) two-stage procedure, the classic baseline
  for the replication count (it assumes independent systems).
- `subset`: screening (Nelson, Swann, Goldsman & Song 2001): a subset that holds
  the best with probability at least `confidence`, from one batch of replications.
- `mcb`: multiple comparisons with the best (Hsu 1984; Nelson & Matejcik 1995 for
  CRN): simultaneous intervals for each system's gap to the best of the others.

Under CRN the paired differences of several systems need not be positively
correlated, so where a procedure needs one critical value for k - 1 comparisons
it takes Bonferroni's (`1 - alpha / (k - 1)`), which holds whatever the
correlation; Nelson & Matejcik (1995) prove it conservative under CRN.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats
from numpy.typing import ArrayLike, NDArray

Goal = Literal["maximize", "minimize"]

_GOALS = ("maximize", "minimize")


@dataclass(frozen=True)
class Selection:
    """What a selection procedure chose, and what it cost.

    `best` is None only when a cap on replications stopped the procedure while
    several systems were still in contention. `runs` counts system-replications
    (the simulator's cost): the sum over systems of the rows each one received.
    """

    best: int | None
    eliminated: dict[int, int]
    """Column -> number of replications (rows) it had when eliminated."""
    replications: int
    """Rows drawn in total: the row count of the last stage."""
    runs: int
    history: tuple[tuple[int, tuple[int, ...]], ...]
    """(rows so far, columns still in contention after that stage), stage by stage."""
    procedure: str
    delta: float
    confidence: float
    n0: int
    goal: Goal


class KimNelson:
    """Kim & Nelson (2001) fully sequential procedure, as state, for callers that draw
    replications themselves (the simulator's runner, which must resume).

    After `n0` rows, S2[i, l] is the sample variance of the paired differences
    X_i - X_l over those rows, and is never re-estimated. With
    eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2 and h2 = 2 eta (n0 - 1),
    at every row count r >= n0 the system i is eliminated if, for some l that was
    in contention before this stage,

        mean_i(r) < mean_l(r) - W_il(r),
        W_il(r) = max(0, delta / (2 r) (h2 S2[i, l] / delta**2 - r))

    (the mirror image for `minimize`). It stops when one system is left. W_il
    reaches 0 at r = h2 S2[i, l] / delta**2, so by then the better sample mean
    wins outright; a zero variance of a difference simply makes W_il zero.

    Tie rule: systems whose sample means are exactly equal once every W among
    them is 0 can never separate, so the procedure keeps the lowest column index
    among them and eliminates the others at that stage. This only matters for
    identical columns (probability zero for continuous outputs) and makes the
    procedure stop after at most max(n0, ceil(max h2 S2 / delta**2)) rows.

    Replaying the same rows through `add`, in any grouping, rebuilds the same
    state, which is how a resumed run recovers.
    """

    def __init__(self, k: int, *, delta: float, confidence: float = 0.95, n0: int = 10,
                 goal: Goal = "maximize") -> None:
        _check_systems(k)
        _check_delta(delta)
        _check_confidence(confidence, k)
        _check_n0(n0)
        _check_goal(goal)
        self._k = k
        self._delta = float(delta)
        self._confidence = float(confidence)
        self._n0 = n0
        self._goal: Goal = goal
        self._h2 = kn_h2(k, confidence, n0) if k > 1 else 0.0
        self._state = _KNState.start(k, n0)

    @property
    def contenders(self) -> list[int]:
        """Columns still in contention, in order."""
        return list(self._state.contenders)

    @property
    def done(self) -> bool:
        """Whether one contender is left."""
        return len(self._state.contenders) == 1

    def needed(self) -> int:
        """Rows to add before the next decision: the rest of the first stage, then 1 (0 if done)."""
        if self.done:
            return 0
        return max(self._n0 - self._state.rows, 1)

    def add(self, rows: ArrayLike) -> list[int]:
        """Take the next replications, in order, and return the columns they eliminated.

        `rows` is (m, k), one column per system, rows paired; columns of systems
        already eliminated are ignored and may be NaN. Rows past the point where
        the procedure finished are not used (a batch may overshoot the stop).
        Nothing is kept if the rows are rejected, so a caller can fix and retry.

        Raises:
            ValueError: wrong shape, a non-finite value in a contender's column, or
                rows for a procedure that has already finished.
        """
        block = np.asarray(rows, dtype=float)
        if block.ndim != 2 or block.shape[1] != self._k:
            raise ValueError(f"rows must be an (m, {self._k}) array, one column per system; "
                             f"got shape {block.shape}")
        if self.done and len(block):
            raise ValueError(f"the procedure has already selected column "
                             f"{self._state.contenders[0]}; it needs no more rows")
        state = self._state.copy()
        eliminated: list[int] = []
        sign = 1.0 if self._goal == "maximize" else -1.0
        for index, row in enumerate(block):
            if len(state.contenders) == 1:
                break
            bad = [column for column in state.contenders if not math.isfinite(row[column])]
            if bad:
                raise ValueError(
                    f"row {index} of the rows added has a non-finite value ({row[bad[0]]}) in "
                    f"column {bad[0]}, a system still in contention (replication "
                    f"{state.rows + 1}); every contender needs a finite output")
            eliminated += self._take(state, sign * row)
        self._state = state
        return eliminated

    def result(self) -> Selection:
        """The selection so far: `best` is None while several systems are in contention."""
        state = self._state
        best = state.contenders[0] if len(state.contenders) == 1 else None
        runs = sum(state.eliminated.values()) + len(state.contenders) * state.rows
        return Selection(best=best, eliminated=dict(state.eliminated), replications=state.rows,
                         runs=runs, history=tuple(state.history), procedure="KN",
                         delta=self._delta, confidence=self._confidence, n0=self._n0,
                         goal=self._goal)

    def _take(self, state: _KNState, row: NDArray[np.float64]) -> list[int]:
        """One replication (already signed so that larger is better), then a decision."""
        state.rows += 1
        state.sums[state.contenders] += row[state.contenders]  # others may be NaN
        if state.rows < self._n0:
            state.first_stage[state.rows - 1] = row
            return []
        if state.rows == self._n0:
            state.first_stage[-1] = row
            differences = state.first_stage[:, :, None] - state.first_stage[:, None, :]
            variances = np.var(differences, axis=0, ddof=1)
            state.zero_at = self._h2 * variances / self._delta**2
        return self._screen(state)

    def _screen(self, state: _KNState) -> list[int]:
        r = state.rows
        before = np.array(state.contenders)
        sums = state.sums[before]
        slack = np.maximum(0.0, self._delta / 2 * (state.zero_at[np.ix_(before, before)] - r))
        beaten = (sums[:, None] < sums[None, :] - slack).any(axis=1)
        survivors = before[~beaten]
        out = before[beaten].tolist()
        if len(survivors) > 1 and np.all(state.zero_at[np.ix_(survivors, survivors)] <= r):
            # exactly equal means with nothing left to learn: the tie rule
            out = sorted(out + survivors[1:].tolist())
            survivors = survivors[:1]
        for column in out:
            state.eliminated[column] = r
        state.contenders = survivors.tolist()
        state.history.append((r, tuple(state.contenders)))
        return out


@dataclass
class _KNState:
    """The mutable part of `KimNelson`, copied so that a rejected batch changes nothing."""

    contenders: list[int]
    rows: int
    sums: NDArray[np.float64]
    first_stage: NDArray[np.float64]
    zero_at: NDArray[np.float64]
    """h2 S2[i, l] / delta**2: the row count from which W_il is 0."""
    eliminated: dict[int, int] = field(default_factory=dict)
    history: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)

    @classmethod
    def start(cls, k: int, n0: int) -> _KNState:
        return cls(contenders=list(range(k)), rows=0, sums=np.zeros(k),
                   first_stage=np.empty((n0, k)), zero_at=np.zeros((k, k)))

    def copy(self) -> _KNState:
        return _KNState(list(self.contenders), self.rows, self.sums.copy(),
                        self.first_stage.copy(), self.zero_at, dict(self.eliminated),
                        list(self.history))


def kn_h2(k: int, confidence: float, n0: int) -> float:
    """KN's h^2 = 2 eta (n0 - 1), eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2.

    This is the c = 1 case of Kim & Nelson (2001): eta solves
    (1 + 2 eta) ** (-(n0 - 1) / 2) / 2 = alpha / (k - 1), so that each of the k - 1
    other systems eliminates the best with probability at most alpha / (k - 1).
    """
    _check_systems(k, at_least=2)
    _check_confidence(confidence, k)
    _check_n0(n0)
    alpha = 1 - confidence
    eta = ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2
    return 2 * eta * (n0 - 1)


def kn(sample: Callable[[int], np.ndarray], *, delta: float, confidence: float = 0.95,
       n0: int = 10, goal: Goal = "maximize", max_replications: int | None = None) -> Selection:
    """Run Kim & Nelson's procedure, drawing rows from `sample` until one system is left.

    `sample(n)` returns the next n replications as an (n, k) array, rows paired
    (its columns for eliminated systems are ignored). The number of systems is
    read from the first stage. With `max_replications`, the procedure stops at
    that many rows even if several systems remain (then `best` is None).
    """
    _check_delta(delta)
    _check_confidence(confidence)
    _check_n0(n0)
    _check_goal(goal)
    if max_replications is not None and (not _is_int(max_replications)
                                         or max_replications < n0):
        raise ValueError(f"max_replications must be an integer of at least n0 = {n0}; "
                         f"got {max_replications!r}")
    first = _draw(sample, n0)
    procedure = KimNelson(first.shape[1], delta=delta, confidence=confidence, n0=n0, goal=goal)
    if procedure.done:  # one system: it is the best, but the first stage was drawn
        return replace(procedure.result(), replications=n0, runs=n0, history=((n0, (0,)),))
    procedure.add(first)
    while not procedure.done and (max_replications is None
                                  or procedure._state.rows < max_replications):
        procedure.add(_draw(sample, procedure.needed()))
    return procedure.result()


def rinott_h(k: int, n0: int, confidence: float) -> float:
    """Rinott's constant h: the root of P(h) = confidence, where

        P(h) = E_Y[ E_X[ Phi(h / sqrt((n0 - 1) (1/X + 1/Y))) ] ** (k - 1) ],

    X and Y independent chi-square with n0 - 1 degrees of freedom (Rinott 1978;
    tabled by Wilcox 1984 and Bechhofer, Santner & Goldsman 1995, Table 2.13).
    Both expectations are integrals over log(chi-square), where the integrand
    is smooth, by 192-point Gauss-Legendre: accurate to about 1e-12 in P for any
    n0 from 2 to thousands.
    """
    _check_systems(k, at_least=2)
    _check_n0(n0)
    _check_confidence(confidence, k)
    return _rinott_h(k, n0, float(confidence))


@functools.lru_cache(maxsize=256)
def _rinott_h(k: int, n0: int, confidence: float) -> float:
    nu = n0 - 1
    chi2, weights = _chi_square_nodes(nu)
    spread = np.sqrt(nu * (1 / chi2[:, None] + 1 / chi2[None, :]))

    def shortfall(h: float) -> float:
        inner = weights @ scipy.special.ndtr(h / spread)
        return float(weights @ inner ** (k - 1)) - confidence

    upper = 1.0
    while shortfall(upper) < 0:
        upper *= 2
    return float(scipy.optimize.brentq(shortfall, 0.0, upper, xtol=1e-12, rtol=1e-14))


def _chi_square_nodes(nu: int, nodes: int = 192) -> tuple[NDArray[np.float64],
                                                          NDArray[np.float64]]:
    """Nodes and weights for E[g(X)], X ~ chi-square(nu), by Gauss-Legendre in log X."""
    low = math.log(scipy.stats.chi2.ppf(1e-15, nu))
    high = math.log(scipy.stats.chi2.isf(1e-15, nu))
    points, weights = np.polynomial.legendre.leggauss(nodes)
    logs = (low + high) / 2 + (high - low) / 2 * points
    chi2 = np.exp(logs)
    weights = weights * (high - low) / 2 * np.exp(scipy.stats.chi2.logpdf(chi2, nu) + logs)
    return chi2, weights / weights.sum()


def rinott(sample: Callable[[int], np.ndarray], *, delta: float, confidence: float = 0.95,
           n0: int = 10, goal: Goal = "maximize") -> Selection:
    """Rinott's two-stage procedure: the baseline for KN's replication count.

    After n0 rows, system i gets N_i = max(n0, ceil((h S_i / delta)**2)) rows in
    all, S_i^2 its own first-stage variance, and the largest mean over those rows
    wins. It assumes independent systems (it ignores CRN). `sample` is called
    twice, for n0 rows and then for max(N_i) - n0; system i uses its first N_i.
    Non-selected systems appear in `eliminated` with their N_i.
    """
    _check_delta(delta)
    _check_confidence(confidence)
    _check_n0(n0)
    _check_goal(goal)
    first = _finite_rows(_draw(sample, n0), "the first stage")
    k = first.shape[1]
    if k == 1:
        return Selection(0, {}, n0, n0, ((n0, (0,)),), "Rinott", float(delta),
                         float(confidence), n0, goal)
    h = rinott_h(k, n0, confidence)
    spread = np.std(first, axis=0, ddof=1)
    totals = np.maximum(n0, np.ceil((h * spread / delta) ** 2)).astype(int)
    rows = int(totals.max())
    if rows > n0:
        second = _finite_rows(_draw(sample, rows - n0), "the second stage")
        if second.shape[1] != k:
            raise ValueError(f"sample({rows - n0}) returned {second.shape[1]} columns; the "
                             f"first stage had {k}")
        data = np.vstack([first, second])
    else:
        data = first
    sign = 1.0 if goal == "maximize" else -1.0
    means = np.array([data[:total, column].mean() for column, total in enumerate(totals)])
    best = int(np.argmax(sign * means))
    eliminated = {column: int(total) for column, total in enumerate(totals) if column != best}
    return Selection(best, eliminated, rows, int(totals.sum()),
                     ((n0, tuple(range(k))), (rows, (best,))), "Rinott", float(delta),
                     float(confidence), n0, goal)


def subset(observations: ArrayLike, *, confidence: float = 0.95, delta: float = 0.0,
           goal: Goal = "maximize") -> list[int]:
    """Screening: the columns that might be best, holding the best with probability >= confidence.

    Nelson, Swann, Goldsman & Song (2001) keep system i if, for every l != i,
    mean_i >= mean_l - (W_il - delta)^+, W_il = t S_il / sqrt(n), with S_il^2 the
    variance of the paired differences over the n rows. Under CRN t is the
    1 - alpha / (k - 1) quantile of Student's t with n - 1 degrees of freedom
    (Bonferroni; the (1 - alpha)^(1/(k-1)) quantile of their independent-systems
    version needs positively dependent comparisons, which CRN does not promise).
    With delta = 0 the guarantee holds for every configuration of means; with
    delta > 0 it holds when the best is at least delta ahead, and the subset is
    smaller. A large gap leaves only the best.
    """
    data = _observations(observations)
    _check_confidence(confidence)
    if not (math.isfinite(delta) and delta >= 0):
        raise ValueError(f"delta must be a finite number >= 0; got {delta}")
    _check_goal(goal)
    n, k = data.shape
    if k == 1:
        return [0]
    means, half_widths = _paired(data, confidence, goal)
    allowance = np.maximum(half_widths - delta, 0.0)
    kept = (means[:, None] >= means[None, :] - allowance).all(axis=1)
    return np.flatnonzero(kept).tolist()


def mcb(observations: ArrayLike, *, confidence: float = 0.95,
        goal: Goal = "maximize") -> list[tuple[float, float]]:
    """Hsu's multiple comparisons with the best, on paired (CRN) data.

    For each column i, an interval for mu_i - max_{j != i} mu_j (for `minimize`,
    mu_i - min_{j != i} mu_j), all of them holding together with probability at
    least `confidence`. With w_il = t S_il / sqrt(n) and t the Bonferroni
    quantile t_{1 - alpha/(k-1), n-1} (Nelson & Matejcik 1995, the procedure that
    is conservative under any CRN dependence):

        lower_i = min(0, min_{l != i} (mean_i - mean_l - w_il))
        upper_i = max(0, min_{l != i} (mean_i - mean_l + w_il))

    Hsu's constraint puts 0 inside every interval. For `maximize` an upper bound
    of 0 says i is not the best, a lower bound of 0 that i is the best; for
    `minimize` the reverse (a lower bound of 0 rules i out).
    """
    data = _observations(observations)
    _check_confidence(confidence)
    _check_goal(goal)
    if data.shape[1] < 2:
        raise ValueError("mcb compares each system with the best of the others; it needs at "
                         f"least 2 columns, got {data.shape[1]}")
    means, half_widths = _paired(data, confidence, goal)
    gaps = means[:, None] - means[None, :]
    below, above = gaps - half_widths, gaps + half_widths
    np.fill_diagonal(below, np.inf)  # l = i is not a comparison
    np.fill_diagonal(above, np.inf)
    lower = np.minimum(0.0, below.min(axis=1))
    upper = np.maximum(0.0, above.min(axis=1))
    if goal == "minimize":
        lower, upper = -upper, -lower
    return [(float(low) + 0.0, float(high) + 0.0) for low, high in zip(lower, upper)]


def _paired(data: NDArray[np.float64], confidence: float,
            goal: Goal) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Signed means (larger is better) and Bonferroni t half-widths of the paired differences."""
    n, k = data.shape
    signed = data if goal == "maximize" else -data
    differences = signed[:, :, None] - signed[:, None, :]
    spread = np.std(differences, axis=0, ddof=1)
    t = float(scipy.stats.t.ppf(1 - (1 - confidence) / (k - 1), n - 1))
    return signed.mean(axis=0), t * spread / math.sqrt(n)


def _observations(observations: ArrayLike) -> NDArray[np.float64]:
    data = np.asarray(observations, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 1:
        raise ValueError("observations must be an (n, k) array, rows the replications (n >= 2) "
                         f"and columns the systems; got shape {data.shape}")
    return _finite_rows(data, "the observations")


def _finite_rows(data: NDArray[np.float64], what: str) -> NDArray[np.float64]:
    bad = np.argwhere(~np.isfinite(data))
    if len(bad):
        row, column = (int(i) for i in bad[0])
        raise ValueError(f"a non-finite value ({data[row, column]}) at row {row}, column "
                         f"{column} of {what} ({len(bad)} in all); every system needs finite "
                         "outputs")
    return data


def _draw(sample: Callable[[int], np.ndarray], n: int) -> NDArray[np.float64]:
    rows = np.asarray(sample(n), dtype=float)
    if rows.ndim != 2 or rows.shape[0] != n or rows.shape[1] < 1:
        raise ValueError(f"sample({n}) must return an ({n}, k) array, one column per system; "
                         f"got shape {rows.shape}")
    return rows


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_systems(k: int, at_least: int = 1) -> None:
    if not _is_int(k) or k < at_least:
        raise ValueError(f"the number of systems k must be an integer >= {at_least}; got {k!r}")


def _check_delta(delta: float) -> None:
    if not (isinstance(delta, (int, float, np.floating)) and math.isfinite(delta) and delta > 0):
        raise ValueError("delta, the indifference zone (the smallest difference worth "
                         f"detecting), must be a finite number > 0; got {delta!r}")


def _check_confidence(confidence: float, k: int = 1) -> None:
    floor = 1 / k if k > 1 else 0.0
    if not (isinstance(confidence, (int, float, np.floating)) and floor < confidence < 1):
        bound = f"1/k = {floor:.4g}" if k > 1 else "0"
        raise ValueError(f"confidence must lie strictly between {bound} and 1"
                         f"{f' for k = {k} systems' if k > 1 else ''}; got {confidence!r}")


def _check_n0(n0: int) -> None:
    if not _is_int(n0) or n0 < 2:
        raise ValueError("n0, the first-stage replications, must be an integer >= 2 (variances "
                         f"need two); got {n0!r}")


def _check_goal(goal: str) -> None:
    if goal not in _GOALS:
        raise ValueError(f"goal must be 'maximize' or 'minimize'; got {goal!r}")
