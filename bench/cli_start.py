"""Start-up time of the ``caisse`` command line (issue 12): whole processes, timed from outside.

Each command is started ``--runs`` times (after one warm-up run that is not counted), one
after another; for each run we keep the wall time (a monotonic clock read just before the
start and just after the child is reaped) and the child's CPU time (user + system, the
operating system's own accounting from ``os.wait4``). Every figure is printed as min,
median and max; quote the median. On a busy machine wall time waits for a processor and
spreads; CPU time is what the command itself costs.

The commands: ``caisse --help``, ``caisse check-rules app/rulesets/calien.yaml`` and
``caisse assess`` of CALIEN on a few households (a file this script writes in a temporary
directory). Standard library only::

    .venv/bin/python -m bench.cli_start --runs 20
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "app" / "rulesets" / "calien.yaml"

HOUSEHOLDS = [
    {
        "household_id": f"h{index}",
        "income_cents": 80_000 + 35_000 * index,
        "persons": [{"birth_on": "1980-05-17"}] + [{"birth_on": "2015-03-01"}] * (index % 3),
        "engagement_minutes": 60 * (index % 4),
    }
    for index in range(1, 21)
]


@dataclass(frozen=True, slots=True)
class Run:
    wall_s: float
    cpu_s: float
    exit_code: int


def time_once(command: list[str]) -> Run:
    """Start ``command`` with empty input and discarded output; time it until it is reaped."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Run(wall, usage.ru_utime + usage.ru_stime, child.returncode)


@dataclass(frozen=True, slots=True)
class Spread:
    min: float
    median: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(min(values), statistics.median(values), max(values))

    def text(self) -> str:
        return f"{self.min:.3f} / {self.median:.3f} / {self.max:.3f}"


@dataclass(frozen=True, slots=True)
class Result:
    runs: int
    exit_codes: list[int]
    wall_s: Spread
    cpu_s: Spread


def measure(command: list[str], runs: int) -> Result:
    time_once(command)  # warm-up: file cache, .pyc files
    done = [time_once(command) for _ in range(runs)]
    return Result(
        runs=runs,
        exit_codes=sorted({run.exit_code for run in done}),
        wall_s=Spread.of([run.wall_s for run in done]),
        cpu_s=Spread.of([run.cpu_s for run in done]),
    )


def commands(caisse: list[str], households: Path) -> dict[str, list[str]]:
    return {
        "caisse --help": [*caisse, "--help"],
        "caisse check-rules calien.yaml": [*caisse, "check-rules", str(RULES)],
        "caisse assess calien (20 households)": [
            *caisse,
            "assess",
            "--rules",
            str(RULES),
            "--households",
            str(households),
            "--period",
            "2027-01",
        ],
    }


def table(results: dict[str, Result]) -> str:
    lines = [
        "| command | wall s min / median / max | CPU s min / median / max |",
        "|---|---|---|",
    ]
    for name, result in results.items():
        lines.append(f"| `{name}` | {result.wall_s.text()} | {result.cpu_s.text()} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="counted runs per command")
    parser.add_argument(
        "--caisse",
        default=str(Path(sys.executable).with_name("caisse")),
        help=(
            "the command that runs caisse, split as a shell splits words (default: the"
            " caisse beside this Python)"
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cli-start-") as directory:
        households = Path(directory) / "households.json"
        households.write_text(json.dumps(HOUSEHOLDS), encoding="utf-8")
        results = {
            name: measure(command, args.runs)
            for name, command in commands(shlex.split(args.caisse), households).items()
        }
    if args.json:
        figures = {name: asdict(result) for name, result in results.items()}
        print(json.dumps(figures, indent=2, sort_keys=True))
    else:
        print(f"{args.runs} runs per command, after one warm-up run; {os.cpu_count()} CPUs")
        print(table(results))
    return 0 if all(r.exit_codes == [0] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
