"""Pinned outputs: optimisations must leave every run bit-identical.

The digests were taken from the engine before any performance work. A change
that alters them changes the model's numbers, and must say so (and why) in its
commit, updating the digests deliberately.
"""

from __future__ import annotations

import hashlib

import pytest

import simulator
from simulator.engine import RunOutput, run_one

from .conftest import SCENARIOS

PINNED = [
    ("minimal", 0, 0, "192582f693393d798c5f53880057fbb7c85d65faa0c60558ffd7f37ee52d0c2c"),
    ("baseline", 0, 0, "e503806064de746c85af0749c90d7149306421ba172d87d9cfa6a8fcc45a7174"),
    ("baseline", 7, 0, "f37c6fd368906841908a5bbdb04a82a339a42133bb506db033c9b099de724b1c"),
    ("baseline", 7, 3, "62d4dfee3994a768f36db3923f711ad887928e2651d085950198706c911c6e1f"),
]


def digest(output: RunOutput) -> str:
    """SHA-256 over every number a run produces."""
    sha = hashlib.sha256()
    for block in (output.times, output.series, output.nations, output.regions, output.trust,
                  output.interoperability):
        sha.update(block.tobytes())
    return sha.hexdigest()


@pytest.mark.parametrize("name, seed, replication, expected", PINNED)
def test_runs_are_bit_identical_to_the_pinned_ones(name, seed, replication, expected):
    scenario = simulator.load_scenario(SCENARIOS / f"{name}.yaml")
    assert digest(run_one(scenario, seed=seed, replication=replication)) == expected
