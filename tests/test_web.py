"""The playground (symcnn/web): the page's Python against the command line, and the built
site in a real browser against the command line.

The oracle is ``symcnn report TEXT --n N --format json`` (and its stderr, ``check``,
``--format dot`` and ``sweep``) run as a child process: the page must show the same
table, totals, messages, diagram and sweep. The browser test builds
the site, serves it on 127.0.0.1 and drives Debian's Chromium with playwright; it is
slow (30–45 s with the build's downloads cached), the comparisons of
:mod:`symcnn.web.derive` with the command line are not (about 8 s).
"""

from __future__ import annotations

import functools
import http.server
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from symcnn.web import derive
from symcnn.web.bytecode import compile_wheel

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
TEXT = "conv5-32(stride=2) relu maxpool3(stride=2) conv3-64 bn relu res(conv3-64 bn relu) maxpool gap fc{k}"
BAD_TEXT = "conv3-64 conv3-128(stride=2"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, check=False)


def given(values: dict[str, int]) -> list[str]:
    return [f"--n={value}" if name == "n" else f"--set={name}={value}" for name, value in values.items()]


def cli_report(text: str, **values: int) -> dict[str, object]:
    run = cli("report", text, *given(values), "--format", "json")
    assert run.returncode == 0, run.stderr
    data: dict[str, object] = json.loads(run.stdout)
    return data


def cli_error(text: str, **values: int) -> str:
    run = cli("report", text, *given(values))
    assert run.returncode == 2
    return run.stderr.rstrip("\n")


def strings(data: object) -> object:
    """JSON data with every number as its decimal text, as the page receives counts."""
    if isinstance(data, dict):
        return {key: strings(item) for key, item in data.items()}
    if isinstance(data, list):
        return [strings(item) for item in data]
    return str(data) if isinstance(data, int) and not isinstance(data, bool) else data


# ---------------------------------------------------------------- the page's Python, fast


@pytest.mark.parametrize(
    ("text", "values"),
    [("vgg16", {"n": 224}), (TEXT, {"n": 100, "k": 10}), ("resnet50", {"n": 225}), ("input 1x28x28 conv5-6 fc10", {})],
)
def test_derive_reports_what_the_command_line_reports(text: str, values: dict[str, int]) -> None:
    answer = json.loads(derive.derive(text, json.dumps({name: str(value) for name, value in values.items()})))
    expected = cli_report(text, **values) if values else json.loads(cli("report", text, "--format", "json").stdout)
    assert answer["error"] == ""
    assert answer["report"] == strings(expected)
    assert answer["symbols"] == sorted(values)


@pytest.mark.parametrize(
    ("text", "values"),
    [(BAD_TEXT, {"n": 224}), ("conv3-64 frobnicate fc10", {"n": 32}), ("vgg17", {"n": 32}), ("vgg16", {"n": 16})],
)
def test_derive_errors_read_as_the_command_line_prints_them(text: str, values: dict[str, int]) -> None:
    answer = json.loads(derive.derive(text, json.dumps({name: str(value) for name, value in values.items()})))
    assert answer["report"] is None
    assert answer["error"] == cli_error(text, **values)


@pytest.mark.parametrize(
    ("claim", "arch", "values"),
    [
        ("128x3x3x256 = 295,168", "vgg16", {"n": 224}),  # the slip: biases left out
        ("138357544", "vgg16", {"n": 224}),  # a total, with the counting tools that agree
        ("5x5x3x32 ~= 2.4k", TEXT, {"n": 150, "k": 10}),  # a long text is "the network"
        ("3*3*", "vgg16", {"n": 224}),  # refused, with the caret
    ],
)
def test_check_claim_says_what_symcnn_check_says(claim: str, arch: str, values: dict[str, int]) -> None:
    answer = json.loads(derive.check_claim(claim, arch, json.dumps({k: str(v) for k, v in values.items()}), arch))
    run = cli("check", claim, "--arch", arch, *given(values))
    assert (answer["error"], answer["report"]) == (
        (run.stderr.rstrip("\n"), "") if run.returncode == 2 else ("", run.stdout)
    )
    assert answer["holds"] is {0: (True if "=" in claim else None), 1: False, 2: None}[run.returncode]


@pytest.mark.parametrize(("text", "depth"), [(TEXT, ""), ("resnet50", "1")])
def test_diagram_is_the_command_lines_dot(text: str, depth: str) -> None:
    answer = json.loads(derive.diagram(text, '{"n": "150", "k": "10"}', depth))
    values = {"n": 150, "k": 10} if "{k}" in text else {"n": 150}
    run = cli("report", text, *given(values), "--format", "dot", *(["--depth", depth] if depth else []))
    assert (answer["error"], answer["dot"]) == ("", run.stdout)


@pytest.mark.parametrize(("text", "values"), [("vgg-d", {"n": 224}), (TEXT, {"n": 100, "k": 10}), ("unet", {"n": 572})])
def test_sweep_points_are_the_command_lines_sweep(text: str, values: dict[str, int]) -> None:
    answer = json.loads(derive.sweep_points(text, json.dumps({k: str(v) for k, v in values.items()}), "n"))
    assert answer["error"] == ""
    assert answer["set"] == {name: value for name, value in values.items() if name != "n"}
    run = cli("sweep", text, "--n", answer["range"], *given(answer["set"]), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert answer["rows"] == strings(json.loads(run.stdout))
    start, stop, step = map(int, answer["range"].split(":"))
    assert stop >= 2 * values["n"] and (stop - start) // step + 1 <= derive.SWEEP_SIZES  # up to twice the page's n
    assert 20 <= len(answer["rows"]) <= derive.SWEEP_SIZES


def test_sweep_of_a_network_without_symbols_is_refused() -> None:
    answer = json.loads(derive.sweep_points("input 1x28x28 conv5-6 fc10", "{}", "n"))
    assert answer["rows"] == [] and answer["error"] == "symcnn: error: no free symbol to sweep: every total is a number"


def test_closed_forms_are_the_command_lines_in_latex() -> None:
    forms = json.loads(derive.closed_forms("vgg-d"))["forms"]
    latex = cli("report", "vgg-d", "--format", "latex").stdout
    for form in forms:  # the LaTeX report prints each total's general form, and its polynomial one where it differs
        assert rf"\mathrm{{{form['title']}}} & = & {form['general']} & \\" in latex + r" \\"
        if form["polynomial"]:
            assert rf" & = & {form['polynomial']} & \mbox{{for " in latex


def test_compiled_wheels_import_from_their_bytecode_alone(tmp_path: Path) -> None:
    source, target = tmp_path / "demo-1-py3-none-any.whl", tmp_path / "compiled.whl"
    with zipfile.ZipFile(source, "w") as wheel:
        wheel.writestr("demo_playground/__init__.py", "ANSWER = sum(range(10))\n")
        wheel.writestr("demo_playground/tests/test_it.py", "assert False\n")
        wheel.writestr("demo-1.dist-info/RECORD", "demo_playground/__init__.py,,\n")
    assert compile_wheel(str(source), str(target)) == 1  # tests are left uncompiled
    unpacked = tmp_path / "site"
    zipfile.ZipFile(target).extractall(unpacked)
    (unpacked / "demo_playground" / "__init__.py").write_text("ANSWER = 'read from the source'\n")
    sys.path.insert(0, str(unpacked))
    try:  # an unchecked-hash .pyc is used as it is: the edited source is never read
        assert importlib.import_module("demo_playground").ANSWER == 45
    finally:
        sys.path.remove(str(unpacked))
        sys.modules.pop("demo_playground", None)


# ---------------------------------------------------------------- the site in Chromium, slow


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built site, served on 127.0.0.1 at an ephemeral port: its base URL."""
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "-m", "symcnn.web", "build", str(out)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()


def _rows(tab: Page) -> list[list[str]]:
    rows = tab.eval_on_selector_all(
        "#layers tbody tr[data-index]", "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    return [[str(cell) for cell in row] for row in rows]


def _totals(tab: Page) -> dict[str, int]:
    cells = tab.eval_on_selector_all(
        "#totals tr", "rows => rows.map(row => [row.dataset.quantity, row.cells[1].textContent])"
    )
    return {quantity: int(text.replace(",", "")) for quantity, text in cells}


def _assert_shows(tab: Page, expected: dict[str, object]) -> None:
    """The page's layer table and totals are the command line's JSON, number for number."""
    quantities = ("activations", "weights", "biases", "params", "buffers", "macs")
    layers = expected["layers"]
    assert isinstance(layers, list)
    shown = _rows(tab)
    assert len(shown) == len(layers)
    for row, layer in zip(shown, layers):
        index, name, output, *counts = row
        assert (int(index), name, output) == (layer["index"], layer["name"], "×".join(map(str, layer["output"])))
        assert [int(count.replace(",", "")) for count in counts] == [layer[quantity] for quantity in quantities]
    total = expected["total"]
    assert isinstance(total, dict)
    assert _totals(tab) == {quantity: total[quantity] for quantity in ("params", "buffers", "activations", "macs")}


def _derived(tab: Page, before: str) -> str:
    """Wait for the derivation after ``before`` (the body's counter) and return the new counter."""
    tab.wait_for_function("before => (document.body.dataset.derived || '0') !== before", arg=before, timeout=30_000)
    return str(tab.evaluate("document.body.dataset.derived"))


@pytest.mark.slow
def test_playground_in_chromium(site: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "the browser test needs Debian's chromium (apt-get install chromium)"
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1440, "height": 1080})
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("request", lambda request: requested.append(request.url))

        start = time.perf_counter()
        tab.goto(site)
        tab.wait_for_selector("body[data-ready]", timeout=60_000)
        interactive = time.perf_counter() - start
        tab.wait_for_function("window.symcnnTimings.formsMs !== null", timeout=60_000)
        complete = time.perf_counter() - start
        timings = tab.evaluate("window.symcnnTimings")
        print(f"\nfirst load: interactive {interactive:.2f} s, closed forms {complete:.2f} s; steps {timings['steps']}")
        _assert_shows(tab, cli_report("vgg16", n=224))  # the default example

        counter = tab.evaluate("document.body.dataset.derived")
        tab.fill("#text", TEXT)
        counter = _derived(tab, counter)
        tab.fill("#value-n", "100")
        counter = _derived(tab, counter)
        _assert_shows(tab, cli_report(TEXT, n=100, k=10))

        tab.fill("#range-n", "150")  # the slider
        counter = _derived(tab, counter)
        _assert_shows(tab, cli_report(TEXT, n=150, k=10))
        assert tab.input_value("#value-n") == "150"
        checks = tab.evaluate("document.body.dataset.checks || '0'")
        tab.fill("#claim", "5x5x3x32 = 2,432")  # the hand calculation, against this network at n = 150
        tab.wait_for_function("before => document.body.dataset.checks !== before", arg=checks, timeout=30_000)
        run = cli("check", "5x5x3x32 = 2,432", "--arch", TEXT, "--n=150", "--set=k=10")
        assert run.returncode == 1
        assert tab.inner_text("#checked") == run.stdout.rstrip("\n")
        shared = tab.url

        diagrams = tab.evaluate("document.body.dataset.diagrams || '0'")
        tab.click("#tab-diagram")  # Graphviz draws `symcnn report TEXT --n 150 --format dot`
        tab.wait_for_function("before => document.body.dataset.diagrams !== before", arg=diagrams, timeout=30_000)
        dot = cli("report", TEXT, "--n=150", "--set=k=10", "--format", "dot").stdout
        link = tab.get_attribute("#dot-link", "href") or ""
        assert urllib.parse.unquote(link.partition(",")[2]) == dot
        nodes = [line for line in dot.splitlines() if re.match(r"\s+r\d+ \[label=", line)]
        assert tab.locator("#diagram svg g.node").count() == len(nodes) > 5

        sweeps = tab.evaluate("document.body.dataset.sweeps || '0'")
        tab.click("#tab-sweep")  # `symcnn sweep TEXT --n RANGE --set k=10`, plotted and listed
        tab.wait_for_function("before => document.body.dataset.sweeps !== before", arg=sweeps, timeout=30_000)
        command = tab.inner_text("#sweep-command")
        spec = re.search(r"--n (\S+)", command)
        assert spec is not None and command.endswith("--set k=10")
        swept = json.loads(cli("sweep", TEXT, "--n", spec[1], "--set=k=10", "--format", "json").stdout)
        listed = [
            [cell.replace(",", "") for cell in row.split("\t")]
            for row in tab.locator("#sweep-table tbody tr").all_inner_texts()
        ]
        columns = ("n", "params", "activations", "macs", "memory")
        assert listed == [[str(row[column]) for column in columns] for row in swept]
        points = tab.locator("#sweep-plot circle")
        assert points.count() == len(swept) > 10
        assert [points.nth(i).get_attribute("data-value") for i in range(len(swept))] == [
            str(row["params"]) for row in swept
        ]
        tab.click("#tab-layers")

        tab.fill("#value-n", "6")  # below the domain (n ≥ 9)
        counter = _derived(tab, counter)
        assert tab.inner_text("#error") == cli_error(TEXT, n=6, k=10)

        tab.fill("#text", BAD_TEXT)
        counter = _derived(tab, counter)
        assert tab.inner_text("#error") == cli_error(BAD_TEXT, n=224)
        assert tab.locator("#layers tbody tr").count() == 0

        tab.select_option("#examples", "resnet50")
        counter = _derived(tab, counter)
        tab.fill("#value-n", "224")
        counter = _derived(tab, counter)
        checks = tab.evaluate("document.body.dataset.checks")
        tab.fill("#claim", "7x7x3x64 = 9,408")  # a zoo example is named as --arch names it
        tab.wait_for_function("before => document.body.dataset.checks !== before", arg=checks, timeout=30_000)
        assert tab.inner_text("#checked") == cli(
            "check", "7x7x3x64 = 9,408", "--arch", "resnet50", "--n=224"
        ).stdout.rstrip("\n")
        tab.screenshot(path=str(tmp_path / "playground.png"))
        shot = os.environ.get("SYMCNN_PLAYGROUND_SCREENSHOT")
        if shot:  # README's picture: SYMCNN_PLAYGROUND_SCREENSHOT=examples/playground.png
            tab.screenshot(path=shot)
        tab.locator("#text").press("End")
        tab.locator("#text").type(" ")  # an edit: the text is derived again, closed forms and all
        counter = _derived(tab, counter)
        rederive = tab.evaluate("window.symcnnTimings.deriveMs") / 1000
        checked = tab.evaluate("window.symcnnTimings.checkMs") / 1000
        print(f"resnet50 re-derived after an edit in {rederive:.3f} s, the claim checked again in {checked:.3f} s")
        _assert_shows(tab, cli_report("resnet50", n=224))
        forms = tab.locator("#forms .form").count()

        reopened = browser.new_page()  # the URL alone brings the text and n back
        reopened.goto(shared)
        reopened.wait_for_selector("body[data-derived]", timeout=60_000)
        _assert_shows(reopened, cli_report(TEXT, n=150, k=10))
        assert reopened.inner_text("#checked") == run.stdout.rstrip("\n")
        browser.close()

    assert errors == []
    assert forms == 4
    assert [url for url in requested if not url.startswith(site)] == []  # nothing from elsewhere
    assert interactive <= 10, f"first load took {interactive:.1f} s (target 10 s)"
    assert rederive <= 0.5, f"re-deriving resnet50 took {rederive:.3f} s (target 0.5 s)"
