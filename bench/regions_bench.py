"""How the main job scales with regions: the two-region default against three regions.

    .venv/bin/python bench/regions_bench.py [--runs N]

Runs the user's command, `python -m payinfra local` (deploy, plugins, verify, destroy on the
embedded local AWS), once on context.toml (us-east-1 + us-east-2) and once on
examples/three-regions.toml (+ us-west-2), each in a fresh process, alternating when --runs > 1.
Prints each run's wall time and phases as the job reports them, then the ratio of the medians.
The issue's target: three regions take at most 1.5x the two-region time (the secondaries deploy
side by side after the primary, so a region adds its share of build and plugin work, not a wave).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = {
    "2 regions (context.toml)": [],
    "3 regions (examples/three-regions.toml)": ["--config", "examples/three-regions.toml"],
}
# The job's last line: "local job: OK (deploy (build, deploy, plugins, verify) 1m 02s, destroy 6s)".
LAST_LINE = re.compile(r"^local job: (OK|FAILED) \((.*)\)$", re.MULTILINE)


def run_once(arguments: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "payinfra", "local", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - began
    match = LAST_LINE.search(done.stdout)
    if done.returncode != 0 or match is None or match.group(1) != "OK":
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise SystemExit(f"`payinfra local {' '.join(arguments)}` failed (exit {done.returncode}):\n{tail}")
    return elapsed, match.group(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per case, alternating (default 1)")
    runs = parser.parse_args().runs
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    times: dict[str, list[float]] = {case: [] for case in CASES}
    for attempt in range(1, runs + 1):
        for case, arguments in CASES.items():
            elapsed, phases = run_once(arguments)
            times[case].append(elapsed)
            print(f"  run {attempt}  {case:<42} {elapsed:6.1f} s  ({phases})", flush=True)
    medians = {case: statistics.median(values) for case, values in times.items()}
    two, three = medians.values()
    print(f"median wall time: {two:.1f} s for two regions, {three:.1f} s for three")
    print(f"three / two regions: {three / two:.2f}x (target: at most 1.50x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
