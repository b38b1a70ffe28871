"""A long fuzz run: every input must end as success, a SymcnnError or CLI exit 0/1/2, within 1 s of CPU (issue #8).

Run: python benchmarks/fuzz.py --cases 20000 [--seed 0] [--failures fuzz-failures.txt] [--full] [--case I]

Case i of seed s is drawn from ``random.Random(f"{s}:{i}")`` with the generators
of tests/fuzz_generators.py (the same ones tests/test_fuzz.py runs under hypothesis), so
``--case I`` replays one. Cases run in a child process that is killed when it
hangs. Uncaught exceptions are shrunk (characters, then arguments) to a small
reproducer with the same exception type and place. Ends with one line
``fuzz: N cases, E refused, U uncaught, S over 1 s``; exit 1 if U or S is not 0. A case's
seconds are CPU seconds of the child (tests/fuzz_runner.py CLOCK), so a busy machine does
not turn a fast input slow; a case still running after 8 s of wall time is killed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_generators import GENERATORS
from fuzz_runner import Outcome, Worker, describe

WEIGHTS = {"text": 35, "mutant": 15, "check": 25, "cli": 25}
MAX_TRIES = 400  # shrinking attempts per distinct failure


def draw(seed: int, index: int) -> tuple[str, Any]:
    """Case ``index`` of ``seed``: a kind by WEIGHTS, then its payload; each case replays on its own."""
    rng = random.Random(f"{seed}:{index}")
    kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    return kind, GENERATORS[kind](rng)


def _smaller_strings(text: str) -> list[str]:
    """``text`` with one chunk removed, biggest chunks first (delta debugging)."""
    candidates, size = [], max(len(text) // 2, 1)
    while size >= 1:
        candidates += [text[:start] + text[start + size :] for start in range(0, len(text), size)]
        size //= 2
    return candidates


def _smaller(payload: Any) -> list[Any]:
    if isinstance(payload, str):
        return _smaller_strings(payload)
    options: list[Any] = [payload[:i] + payload[i + 1 :] for i in range(1, len(payload))]
    for i, arg in enumerate(payload):
        options += [(*payload[:i], shorter, *payload[i + 1 :]) for shorter in _smaller_strings(arg)[:60]]
    return options


def shrink(worker: Worker, kind: str, payload: Any, key: str) -> Any:
    """A smaller payload whose outcome has the same key (greedy: restart after each success)."""
    tries = 0
    while tries < MAX_TRIES:
        for candidate in _smaller(payload):
            tries += 1
            if worker.run(kind, candidate).key == key:
                payload = candidate
                break
            if tries >= MAX_TRIES:
                break
        else:
            break
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--failures", default="fuzz-failures.txt", help="where the reproducers go")
    parser.add_argument("--full", action="store_true", help="symbolic tables of any size (default: up to 1,000 rows)")
    parser.add_argument("--case", type=int, help="replay only this case of --seed")
    parser.add_argument("--no-shrink", action="store_true")
    args = parser.parse_args(argv)

    indices = [args.case] if args.case is not None else range(args.cases)
    failures: dict[str, list[tuple[int, str, Any, Outcome]]] = defaultdict(list)
    counts = {"ok": 0, "refused": 0, "uncaught": 0, "slow": 0}
    start = last = time.monotonic()
    with Worker(full=args.full) as worker:
        for done, index in enumerate(indices, 1):
            kind, payload = draw(args.seed, index)
            outcome = worker.run(kind, payload)
            counts[outcome.status] += 1
            if outcome.status in ("uncaught", "slow"):
                failures[outcome.key].append((index, kind, payload, outcome))
            if time.monotonic() - last > 15 or done == len(indices):
                last = time.monotonic()
                print(
                    f"  {done}/{len(indices)} cases, {counts['refused']} refused, {counts['uncaught']} uncaught, "
                    f"{counts['slow']} over 1 s, {len(failures)} distinct, {last - start:.0f} s",
                    flush=True,
                )
        report = []
        for key, cases in sorted(failures.items(), key=lambda item: -len(item[1])):
            index, kind, payload, outcome = min(cases, key=lambda case: len(repr(case[2])))
            report.append(f"== {key}: {len(cases)} case(s); smallest is case {index} of seed {args.seed}")
            report.append(describe(kind, payload, outcome))
            if outcome.status == "uncaught" and not args.no_shrink:
                small = shrink(worker, kind, payload, key)
                report.append(f"shrunk: {kind} {describe(kind, small, outcome).splitlines()[-1].split(' ', 1)[1]}")
            others = ", ".join(str(case[0]) for case in cases[:50])
            report.append(f"cases: {others}{' …' if len(cases) > 50 else ''}\n")
    Path(args.failures).write_text("\n".join(report), encoding="utf-8")
    if failures:
        print(f"{len(failures)} distinct failures, reproducers in {args.failures}:")
        for key, cases in sorted(failures.items(), key=lambda item: -len(item[1])):
            print(f"  {len(cases):5} × {key}")
    total = len(indices)
    print(f"fuzz: {total} cases, {counts['refused']} refused, {counts['uncaught']} uncaught, {counts['slow']} over 1 s")
    return 1 if counts["uncaught"] or counts["slow"] else 0


if __name__ == "__main__":
    sys.exit(main())
