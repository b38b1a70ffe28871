"""Fuzz: random texts, zoo mutants, check expressions and command lines end well, within 1 s (issue #8).

Every input must end as success, a SymcnnError or CLI exit 0/1/2 — never an
uncaught exception, exit 3 or a hang. Generation is derandomized so that CI is
reproducible; shrinking is off because a hanging case costs seconds per try
(the message shows the input as generated). Longer runs: benchmarks/fuzz.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from fuzz_generators import GENERATORS
from fuzz_runner import Worker, describe
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# About 6,300 cases in about 35 s on the project's 2-core machine; mutants of the zoo cost the most.
EXAMPLES = {"text": 2500, "mutant": 600, "check": 2000, "cli": 1200}


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """One child process for all cases: killed and restarted if a case hangs where SIGPROF cannot reach."""
    with Worker() as child:
        yield child


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_every_input_ends_within_a_second(kind: str, worker: Worker) -> None:
    @settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=True))
    def run(rng: random.Random) -> None:
        payload = GENERATORS[kind](rng)
        outcome = worker.run(kind, payload)
        assert outcome.status in ("ok", "refused"), describe(kind, payload, outcome)

    run()
