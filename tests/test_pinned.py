"""Pinned outputs: optimisations must leave every run bit-identical.

A change that alters the digests changes the model's numbers, and must say so
(and why) in its commit, renewing `pinned_runs.json` deliberately (`python -m
tests.test_pinned`), in a commit of its own, with the evidence of
`benchmarks/equivalence.py` where it is an optimisation.

Bits depend on the machine as well as the code: numpy computes `exp` with its
own AVX-512 routine where the CPU has one and with the C library's elsewhere,
and the two differ in the last bit for about 5% of arguments; the compiled
kernels call the C library's. So the exact digests are checked where these
(and the C library's `log1p`, which draws the Poisson gaps) give the bits of
the machine that pinned them, which is the CI machine; everywhere, each run's
sums per metric must match the pinned ones to 1e-10 (the same runs with the C
library's `exp` differ by at most 1e-15).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.model.engine import RunOutput, run_one

from .conftest import SCENARIOS

PINNED_FILE = Path(__file__).with_name("pinned_runs.json")
RUNS = [("minimal", 0, 0), ("baseline", 0, 0), ("baseline", 7, 0), ("baseline", 7, 3)]


def digest(output: RunOutput) -> str:
    """SHA-256 over every number a run produces."""
    sha = hashlib.sha256()
    for block in (output.times, output.series, output.nations, output.regions, output.trust,
                  output.interoperability):
        sha.update(block.tobytes())
    return sha.hexdigest()


def sums(output: RunOutput) -> dict[str, list[float]]:
    """Each metric summed over the run (NaN, an undefined metric, counts as 0): a
    fingerprint that survives last-bit differences but not a change of the model."""
    return {
        "series": np.nansum(output.series, axis=0).tolist(),
        "nations": np.nansum(output.nations, axis=(0, 1)).tolist(),
        "regions": np.nansum(output.regions, axis=(0, 1)).tolist(),
        "trust": [float(np.nansum(output.trust))],
        "interoperability": np.nansum(output.interoperability, axis=(0, 1)).tolist(),
    }


def floating_point_probe() -> str:
    """A digest of the functions whose last bits vary between machines: numpy's `exp`,
    and the C library's `exp` (which the compiled kernels call) and `log1p`."""
    grid = np.linspace(-40.0, 0.0, 20_001)
    sha = hashlib.sha256(np.exp(grid).tobytes())
    sha.update(np.array([math.exp(x) for x in grid]).tobytes())
    sha.update(np.array([math.log1p(-x) for x in np.linspace(0.0, 0.999, 2_001)]).tobytes())
    return sha.hexdigest()


def run(name: str, seed: int, replication: int) -> RunOutput:
    return run_one(simulator.load_scenario(SCENARIOS / f"{name}.yaml"), seed=seed,
                   replication=replication)


@functools.cache
def pinned() -> dict:
    return json.loads(PINNED_FILE.read_text(encoding="utf-8"))


def key(name: str, seed: int, replication: int) -> str:
    return f"{name}/{seed}/{replication}"


@pytest.mark.parametrize("name, seed, replication", RUNS)
def test_runs_are_bit_identical_to_the_pinned_ones(name, seed, replication):
    if floating_point_probe() != pinned()["floating_point_probe"]:
        pytest.skip("this machine's exp or log1p differ in the last bit from those of the "
                    "machine that pinned the runs; the sums below are checked instead")
    assert digest(run(name, seed, replication)) == pinned()["digests"][key(name, seed, replication)]


@pytest.mark.parametrize("name, seed, replication", RUNS)
def test_runs_match_the_pinned_sums_on_any_machine(name, seed, replication):
    got = sums(run(name, seed, replication))
    expected = pinned()["sums"][key(name, seed, replication)]
    assert got.keys() == expected.keys()
    for block, values in got.items():
        np.testing.assert_allclose(values, expected[block], rtol=1e-10, atol=1e-12,
                                   err_msg=f"{key(name, seed, replication)}: {block}")


def test_the_sums_see_a_change_of_the_model():
    """The portable check must not be so loose that a real change passes it."""
    scenario = simulator.load_scenario(SCENARIOS / "baseline.yaml")
    nudged = scenario.model_copy(update={"parameters": scenario.parameters.model_copy(
        update={"trust_prior_weight": scenario.parameters.trust_prior_weight * (1 + 1e-6)})})
    got = sums(run_one(nudged, seed=0))["series"]
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(got, pinned()["sums"][key("baseline", 0, 0)]["series"],
                                   rtol=1e-10, atol=1e-12)


if __name__ == "__main__":  # renew the pins, deliberately: python -m tests.test_pinned
    outputs = {key(*spec): run(*spec) for spec in RUNS}
    PINNED_FILE.write_text(json.dumps({
        "floating_point_probe": floating_point_probe(),
        "digests": {name: digest(output) for name, output in outputs.items()},
        "sums": {name: sums(output) for name, output in outputs.items()},
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {PINNED_FILE}")
