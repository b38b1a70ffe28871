"""Suite-wide rules: every test the suite has runs; a skipped test fails the run.

CI installs every test dependency (torch, the counting tools, matplotlib,
pdflatex), so a skip can only mean a missing install step that would otherwise
hide behind a green run.
"""

from __future__ import annotations

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        for report in skipped:
            reporter.write_line(f"SKIPPED (not allowed): {report.nodeid}: {report.longrepr}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
