"""The compiled kernels: the same numbers as Python, and a cache that cannot go stale."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.model import kernels
from simulator.model.engine import run_one

from .conftest import SCENARIOS

MODEL = Path(kernels.__file__).parent
RUN = """
import json, sys
import simulator
from simulator.model import kernels
from simulator.model.engine import run_one
output = run_one(simulator.load_scenario(sys.argv[1]), seed=5)
print(json.dumps({"compiled": kernels.COMPILED, "series": output.series.tolist(),
                  "nations": output.nations.tolist(), "regions": output.regions.tolist(),
                  "trust": output.trust.tolist()}))
"""


@pytest.mark.skipif(not kernels.COMPILED, reason="numba is not installed: Python is the path")
def test_the_python_path_agrees_with_the_compiled_one():
    """Without numba (here: `NUMBA_DISABLE_JIT=1`) the kernels run as Python; a baseline
    run must then give the compiled run's numbers to 1e-12 (`math.exp` and LLVM's may
    differ in a last bit), with the same events."""
    scenario = SCENARIOS / "baseline.yaml"
    environment = os.environ | {"NUMBA_DISABLE_JIT": "1"}
    completed = subprocess.run([sys.executable, "-c", RUN, str(scenario)], env=environment,
                               capture_output=True, text=True, check=True, timeout=300)
    python = json.loads(completed.stdout)
    assert python["compiled"] is False
    import simulator

    compiled = run_one(simulator.load_scenario(scenario), seed=5)
    for name in ("series", "nations", "regions", "trust"):
        np.testing.assert_allclose(np.array(python[name], dtype=float),
                                   getattr(compiled, name), rtol=1e-12, atol=1e-15,
                                   err_msg=name)


@pytest.mark.skipif(not kernels.COMPILED, reason="numba is not installed: nothing is cached")
def test_the_machine_code_cache_goes_stale_with_any_file_the_kernels_compile():
    """numba's own cache watches only the file of each function; ours also watches every
    file whose code the kernels compile (their formulas are dynamics.py's), so an edited
    formula can never run as old machine code."""
    uses = {path.name for path in MODEL.glob("*.py")
            if re.search(r"\bkernel\(|@kernel\b", path.read_text(encoding="utf-8"))}
    assert uses <= set(kernels.SOURCES), "a module compiles kernels but is not in SOURCES"
    for function in (kernels.cells_at, kernels.trust, kernels.note_training):
        stamp = function._cache._cache_file._source_stamp
        assert stamp[1] == kernels.SOURCES_DIGEST
