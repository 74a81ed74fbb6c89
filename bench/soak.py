"""Crash and fault soak: the real bot killed with SIGKILL and/or under a Telegram fault storm.

Runs tests/reliability/harness.py at any size: `--reports` one-message reports from many
reporters on many targets, `--decisions` approvals and rejections pressed in the review chat,
`--kills` SIGKILLs at seeded points (the bot is started again each time and must poll again),
`--faults` the share of all Bot API calls that fail (429 with retry_after, 500, 502, dropped
connections before and after applying, slow answers and timeouts; seeded). `--rounds` repeats
the run with seeds seed, seed+1, ... Prints the totals and every check; exit 1 on a violation.

    .venv/bin/python bench/soak.py --reports 1000 --decisions 200 --kills 20 --faults 0.2 --seed 1
    .venv/bin/python bench/soak.py --quick      # the CI round (see QUICK)

First runs the same plan undisturbed (no kills, no faults; `--no-baseline` skips it) and prints
each round's time as a ratio of that run's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from tests.reliability.harness import SoakConfig, run_soak

#: The short CI round: 20 reports, 2 SIGKILLs and 10 % of the calls failing, after its
#: undisturbed baseline. Its count edits wait 2 s instead of 30 and an edit whose answer was
#: lost is checked again after 8 s instead of 30 (above the 5.5 s a late edit can take, as in
#: tests/reliability/test_fault_storm.py): both paths still run, settling no longer waits half
#: a minute for them (bench/README.md).
QUICK = {
    "reports": 20,
    "decisions": 0,
    "kills": 2,
    "faults": 0.1,
    "seed": 7,
    "settle": 120.0,
    "debounce": 2,
    "recheck": 8,
}


def _config(arguments: argparse.Namespace, seed: int, *, undisturbed: bool) -> SoakConfig:
    return SoakConfig(
        reports=arguments.reports,
        decisions=arguments.decisions,
        kills=0 if undisturbed else arguments.kills,
        seed=seed,
        faults=0.0 if undisturbed else arguments.faults,
        reporters=arguments.reporters,
        targets=arguments.targets,
        settle_timeout=arguments.settle,
        debounce_seconds=arguments.debounce,
        recheck_seconds=arguments.recheck,
    )


async def main(arguments: argparse.Namespace) -> int:
    baseline: float | None = None
    if arguments.baseline:
        # The same plan with no kills and no faults: what the disturbances cost in time.
        calm_config = _config(arguments, arguments.seed, undisturbed=True)
        with tempfile.TemporaryDirectory(prefix="soak-") as folder:
            calm = await run_soak(calm_config, Path(folder))
        print("baseline, the same plan undisturbed:", flush=True)
        print("\n".join(f"  {line}" for line in calm.lines()), flush=True)
        if calm.violations:
            return 1
        baseline = calm.seconds
    failed, kills, restarts, faults = 0, 0, 0, 0
    for round_number in range(arguments.rounds):
        config = _config(arguments, arguments.seed + round_number, undisturbed=False)
        with tempfile.TemporaryDirectory(prefix="soak-") as folder:
            totals = await run_soak(config, Path(folder))
        print("\n".join(totals.lines()), flush=True)
        if baseline:
            print(f"ratio of time to the undisturbed run: {totals.seconds / baseline:.2f}")
        failed += bool(totals.violations)
        kills, restarts = kills + totals.kills, restarts + totals.restarts
        faults += totals.faults_injected
    print(
        f"rounds: {arguments.rounds}, survived without a violation: {arguments.rounds - failed}; "
        f"kills {kills}, restarts {restarts}, faults injected {faults}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--faults", type=float, default=0.0, help="share of failing calls")
    parser.add_argument("--seed", type=int, default=1, help="printed; the same seed, the same plan")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--reporters", type=int, help="default: five reports each")
    parser.add_argument("--targets", type=int, help="default: decisions and a quarter more")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the undisturbed run of the same plan the ratio is measured against",
    )
    parser.add_argument(
        "--settle", type=float, default=3600.0, help="seconds allowed for what is owed to arrive"
    )
    parser.add_argument(
        "--debounce", type=int, default=30, help="the bot's CASE_EDIT_DEBOUNCE_SECONDS"
    )
    parser.add_argument(
        "--recheck", type=int, default=30, help="the bot's CASE_EDIT_RECHECK_SECONDS"
    )
    parser.add_argument(
        "--quick", action="store_true", help="the short CI round (QUICK; overrides the sizes)"
    )
    arguments = parser.parse_args()
    if arguments.quick:
        for name, value in QUICK.items():
            setattr(arguments, name, value)
    sys.exit(asyncio.run(main(arguments)))
