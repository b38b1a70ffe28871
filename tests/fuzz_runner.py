"""Running fuzz cases: one in-process under a timer (:func:`run_case`), or many in a guarded child (:class:`Worker`).

The contract (issue #8): every input ends as success, a :class:`symcnn.SymcnnError`
or CLI exit 0, 1 or 2, within 1 s of CPU per call. :func:`run_case` runs one case under
SIGPROF and classifies how it ended (:class:`Outcome`). A signal cannot interrupt
C code (``10 ** 10**9`` runs to the end), so :class:`Worker` runs cases in a child
process with a memory limit and kills it when it hangs. The inputs come from
:mod:`fuzz_generators`.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import multiprocessing
import os
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from fuzz_generators import PACKAGE, PLOT

import symcnn
import symcnn.cli

SLOW_SECONDS = 1.0  # the contract
# Seconds of the process's CPU (user + system), timed and alarmed alike: the work an input costs. Wall time
# on this 2-core machine measured the other jobs too (under a load of 7, 2 of the first 2,146 cases of a
# run passed 1 s). A case stuck in C code is still killed by wall time (KILL_SECONDS).
CLOCK = time.process_time
# A fresh worker every so many cases, as the command line is a fresh process per input: one worker
# kept for 200,000 cases grows a heap of every case's cached sizes and atoms, and Python's full
# collections over it paused random cases past 1 s (55 of 200,000, in places from --help to sweeps).
CASES_PER_WORKER = 5000
ALARM_SECONDS = 5.0  # SIGPROF aborts a case after this many CPU seconds
KILL_SECONDS = 8.0  # Worker kills a child stuck in C code after this
MEMORY_BYTES = 3 << 30  # a child's address space: a memory bomb fails instead of swapping the machine
# Symbolic table and to_json up to this many rows (any with full=True): densenet201's 706 take 0.03 s,
# 1,000 rows whose every size differs (conv3-{k}(padding=0)x1000) about 1 s; generated networks stay under 5,000.
SYMBOLIC_ROWS = 1000

# ---------------------------------------------------------------- running a case


@dataclass(frozen=True)
class Outcome:
    """How a case ended (ok, refused, uncaught, slow), its slowest step, what escaped and where."""

    status: str
    seconds: float = 0.0
    step: str = ""
    detail: str = ""
    place: str = ""

    @property
    def key(self) -> str:
        """What de-duplicates findings: the exception type and place, or the slow step and place."""
        if self.status not in ("uncaught", "slow"):
            return self.status
        what = self.detail.split(":", 1)[0] if self.status == "uncaught" else f"slow {self.step}"
        return f"{what} at {self.place or '?'}"


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` in symcnn swallows it."""


def _where(frames: Sequence[tuple[str, int]]) -> str:
    """The innermost frame inside symcnn (else the innermost at all) as ``symcnn/file.py:line``."""
    inside = [(file, line) for file, line in frames if file.startswith(str(PACKAGE))]
    if not (inside or frames):
        return ""
    file, line = (inside or list(frames))[-1]
    return f"{Path(file).relative_to(PACKAGE.parent) if inside else Path(file).name}:{line}"


def _trace(tb: TracebackType | None) -> list[tuple[str, int]]:
    return [(frame.filename, frame.lineno or 0) for frame in traceback.extract_tb(tb)]


class _Alarm:
    """SIGPROF every CPU second notes where each step is (the place of a slow step); at ALARM_SECONDS it aborts."""

    def __init__(self, steps: _Steps) -> None:
        self.steps, self.fired, self.places = steps, 0, {"": ""}

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.fired += 1
        stack = [
            (f.f_code.co_filename, line) for f, line in traceback.walk_stack(frame) if f.f_code.co_filename != __file__
        ]
        self.places[self.steps.current] = _where(stack[::-1])
        if self.fired * SLOW_SECONDS >= ALARM_SECONDS:
            raise _Timeout


class _Steps:
    """Times each call of a case: the contract's 1 s is per call."""

    def __init__(self) -> None:
        self.current, self.slowest, self.seconds = "", "", 0.0

    def __call__(self, name: str, call: Callable[[], Any]) -> Any:
        self.current, start = name, CLOCK()
        try:
            return call()
        finally:
            if (elapsed := CLOCK() - start) > self.seconds:
                self.slowest, self.seconds = name, elapsed


def _size(symbol: str, text: str) -> int:
    """A value for a free symbol, fixed by the text so that a case replays exactly."""
    choices = (224, 224, 97, 1, 10**12) if symbol in "nhw" else (10, 1, 3, 64, 10**12)
    return choices[zlib.crc32(f"{symbol}:{text}".encode(errors="replace")) % len(choices)]


def _library(text: str, steps: _Steps, full: bool) -> None:
    net = steps("parse", lambda: symcnn.parse(text))
    steps("totals", lambda: (net.params, net.buffers, net.activations, net.macs))
    steps("closed_form", lambda: [net.closed_form(quantity) for quantity in ("params", "macs")])
    if full or len(net.layers) <= SYMBOLIC_ROWS:
        steps("table", net.table)
        steps("to_json", net.to_json)
    at = steps("at", lambda: net.at(**{symbol: _size(symbol, text) for symbol in net.symbols}))
    steps("at.table", at.table)
    renders = {"markdown": at.markdown, "latex": at.latex, "csv": at.csv, "to_json": at.to_json}
    renders.update({"document": lambda: at.latex(document=True), "rows(1)": lambda: at.table(1)})
    name = sorted(renders)[zlib.crc32(text.encode(errors="replace")) % len(renders)]
    steps(f"at.{name}", renders[name])


class _Stderr(io.StringIO):
    """Captures stderr and, when the CLI's catch-all prints "internal error", the traceback it handles."""

    frames: list[tuple[str, int]] | None = None

    def write(self, text: str) -> int:
        if "internal error" in text and self.frames is None:
            self.frames = _trace(sys.exc_info()[2])
        return super().write(text)


def _cli(args: Sequence[str], steps: _Steps) -> tuple[int, _Stderr]:
    err, stdin = _Stderr(), sys.stdin
    Path(PLOT).parent.mkdir(exist_ok=True)  # --plot PLOT is a good path; the generator also tries bad ones
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        sys.stdin = io.StringIO("")
        try:
            code = steps("main", lambda: symcnn.cli.main(list(args)))
        finally:
            sys.stdin = stdin
    return code, err


def run_case(kind: str, payload: Any, full: bool = False) -> Outcome:
    """Run one case in-process under SIGPROF and classify how it ended (see the module docstring).

    Library kinds (text, mutant) parse, total, derive closed forms and render; ``check`` runs
    ``main(["check", payload])``, ``cli`` runs ``main(payload)``. Exit 1 is a claim that does not hold.
    """
    steps, stderr, code = _Steps(), _Stderr(), 0
    alarm = _Alarm(steps)
    previous = signal.signal(signal.SIGPROF, alarm)
    signal.setitimer(signal.ITIMER_PROF, SLOW_SECONDS, SLOW_SECONDS)
    try:
        if kind in ("text", "mutant"):
            _library(payload, steps, full)
        else:
            code, stderr = _cli(("check", payload) if kind == "check" else payload, steps)
    except _Timeout:
        place = alarm.places.get(steps.current, "")
        return Outcome("slow", ALARM_SECONDS, steps.current, f"still running after {ALARM_SECONDS:g} s of CPU", place)
    except symcnn.SymcnnError:
        code = 2
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # everything else is what the fuzzer looks for, SystemExit included
        detail = f"{type(error).__name__}: {str(error)[:300]}"
        return Outcome("uncaught", steps.seconds, steps.current, detail, _where(_trace(error.__traceback__)))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    if code not in (0, 1, 2):
        said = re.search(r"internal error: (.*)", stderr.getvalue()) or re.search(r"(.*)$", stderr.getvalue().strip())
        detail = f"{said[1][:300] if said else ''} (exit {code!r})"
        return Outcome("uncaught", steps.seconds, steps.slowest, detail, _where(stderr.frames or []))
    if steps.seconds > SLOW_SECONDS:
        return Outcome(
            "slow", steps.seconds, steps.slowest, f"{steps.seconds:.2f} s", alarm.places.get(steps.slowest, "")
        )
    return Outcome("ok" if code == 0 else "refused", steps.seconds, steps.slowest)


# ---------------------------------------------------------------- the guarded worker


def _serve(connection: Any, dump_path: str, full: bool) -> None:
    """The child: memory-limited and warmed up, runs cases until the pipe closes; faulthandler shows hangs."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, resource.getrlimit(resource.RLIMIT_AS)[1]))
    Path(PLOT).parent.mkdir(exist_ok=True)
    os.chdir(Path(PLOT).parent)  # shrinking turns --plot paths into relative ones: keep them out of the checkout
    symcnn.parse("conv3-8 fc10").at(n=8).table()  # lark's tables load once per process
    with contextlib.redirect_stdout(io.StringIO()):  # and so do matplotlib (~0.4 s) and its fonts for --plot
        symcnn.cli.main(["sweep", "vgg-a", "--n", "224", "--plot", PLOT])
    connection.send("ready")
    with open(dump_path, "w") as dump:
        while True:
            try:
                kind, payload = connection.recv()
            except EOFError:
                return
            faulthandler.dump_traceback_later(KILL_SECONDS - 1, file=dump)
            outcome = run_case(kind, payload, full)
            faulthandler.cancel_dump_traceback_later()
            connection.send(outcome)


class Worker:
    """Runs cases in a child process, restarted when it hangs in C code (killed) or dies."""

    def __init__(self, full: bool = False) -> None:
        self.full = full
        handle, self.dump = tempfile.mkstemp(prefix="symcnn-fuzz-", suffix=".txt")
        os.close(handle)  # the child writes it
        self._start()

    def _start(self) -> None:
        self.served = 0
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.dump, self.full), daemon=True)
        self.process.start()
        child.close()
        with contextlib.suppress(EOFError):
            if self.connection.recv() == "ready":
                return
        raise RuntimeError("the fuzz worker did not start (spawn needs a __main__ that is a file or a module)")

    def run(self, kind: str, payload: Any) -> Outcome:
        if self.served >= CASES_PER_WORKER:
            self.close()
            self._start()
        self.served += 1
        self.connection.send((kind, payload))
        with contextlib.suppress(EOFError):
            if self.connection.poll(KILL_SECONDS):
                outcome: Outcome = self.connection.recv()
                return outcome
        hung = self.process.is_alive()
        self.process.kill()
        self.process.join()
        dumped = Path(self.dump).read_text(errors="replace")
        frames = [(m[1], int(m[2])) for m in re.finditer(r'File "([^"]+)", line (\d+)', dumped)][::-1]
        exitcode = self.process.exitcode
        self._start()
        if hung:
            return Outcome("slow", KILL_SECONDS, "?", f"killed after {KILL_SECONDS:g} s in C code", _where(frames))
        return Outcome("uncaught", 0.0, "?", f"WorkerDied: exit code {exitcode}", _where(frames))

    def close(self) -> None:
        self.connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
        Path(self.dump).unlink(missing_ok=True)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe(kind: str, payload: Any, outcome: Outcome, limit: int = 2000) -> str:
    """A reproducer for a message: how the case ended, then kind and payload (shortened in the middle)."""
    shown = repr(payload)
    if len(shown) > limit:
        shown = f"{shown[: limit // 2]} …[{len(shown) - limit} chars]… {shown[-limit // 2 :]}"
    ended = f"{outcome.status} in {outcome.step or '?'} ({outcome.seconds:.2f} s): {outcome.detail}"
    return f"{ended} at {outcome.place or '?'}\n{kind} {shown}"
