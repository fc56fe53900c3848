"""A bench run as `python -m benchmarks ...` is run: a fresh interpreter in the repository, with the
Lambda layer, the functions and the CLI on its path as in a deployment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(*args: str, timeout: float) -> "subprocess.CompletedProcess[str]":
    path = os.pathsep.join(str(ROOT / folder) for folder in ("layers/common/python", "functions", "cli", "."))
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path},
    )
