"""Suite-wide rules: every test the suite has runs; a skipped test fails the run.

CI installs every test dependency (torch, the counting tools, matplotlib,
pdflatex), so a skip can only mean a missing install step that would otherwise
hide behind a green run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for a module's torch work: on a loaded 2-core machine two threads
    wait on each other (10× slower here). Torch is imported only by the modules that use it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        for report in skipped:
            reporter.write_line(f"SKIPPED (not allowed): {report.nodeid}: {report.longrepr}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
