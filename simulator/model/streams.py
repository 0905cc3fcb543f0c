"""Named random streams: each process draws from its own generator (docs/model.md section 5).

A stream is derived from the root seed, the replication number and a stable
hash of its name, so adding or changing one process never shifts the draws of
another, and replication k of every variant sees the same numbers.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(name: str) -> int:
    """A 64-bit hash of `name` that is the same in every process and Python version."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


def stream(root_seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of the process called `name` in replication `replication`."""
    sequence = np.random.SeedSequence(root_seed, spawn_key=(replication, stable_hash(name)))
    return np.random.Generator(np.random.PCG64(sequence))
