"""`symcnn check --arch ARCH FILE`: a page of hand calculations, checked line by line.

Every expected value comes from a plain-Python walk over the published
configurations (VGG paper Table 1 column D and E, AlexNet's paper), never from
symcnn: the walk below counts weights, biases, outputs and MACs layer by layer.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import symcnn
from symcnn.cli import main
from symcnn.page import check_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "examples" / "vgg16_lecture_notes.txt"
VGG_D = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG_E = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def vgg_walk(config: list[int | str], n: int = 224) -> list[dict[str, int]]:
    """Rows of a VGG configuration: 3x3 convs (padding 1), 2x2 max pools, then three FC layers."""
    rows, channels, size = [{"acts": 3 * n * n, "weights": 0, "biases": 0, "macs": 0}], 3, n
    for item in config:
        if item == "M":
            size //= 2
            rows.append({"acts": channels * size * size, "weights": 0, "biases": 0, "macs": 0})
            continue
        assert isinstance(item, int)
        weights = 3 * 3 * channels * item
        rows.append({"acts": item * size * size, "weights": weights, "biases": item, "macs": weights * size * size})
        channels = item
    features = channels * size * size
    for width in (4096, 4096, 1000):
        rows.append({"acts": width, "weights": features * width, "biases": width, "macs": features * width})
        features = width
    return rows


D = vgg_walk(VGG_D)
PARAMS = sum(row["weights"] + row["biases"] for row in D)
ACTS = sum(row["acts"] for row in D)
MACS = sum(row["macs"] for row in D)
CONV = [row for row in D if row["biases"]]  # conv and fc rows, in order

# The verdict of every line of the page: (status, the right value of the failing claim, or None).
# Line numbers of examples/vgg16_lecture_notes.txt; the rows 8-29 are CS231n's table.
EXPECTED: dict[int, tuple[str, int | None]] = {
    line: ("no claim", None) for line in (1, 2, 3, 4, 5, 6, 7, 30, 33, 34, 43, 44, 49, 50)
}
EXPECTED.update({line: ("holds", None) for line in range(8, 30)})
EXPECTED[13] = ("fails", CONV[3]["weights"])  # slip: the second conv3-128 written with 64 input channels
EXPECTED[31] = ("fails", 4 * ACTS)  # CS231n's 24M * 4 bytes ~= 93MB: 96,000,000 bytes, and 60,950,432 in fact
EXPECTED[32] = ("holds", None)  # TOTAL params: 138M
EXPECTED[35] = ("holds", None)
EXPECTED[36] = ("fails", CONV[4]["weights"] + CONV[4]["biases"])  # biases left out
EXPECTED.update({line: ("holds", None) for line in (37, 38, 39, 40, 41)})
EXPECTED[42] = ("fails", PARAMS)  # 144M is configuration E's
EXPECTED[45] = ("holds", None)
EXPECTED[46] = ("fails", 2 * MACS)  # 15.5 G is MACs, not FLOPs
EXPECTED[47] = ("holds", None)
EXPECTED[48] = ("fails", CONV[0]["macs"])  # FLOPs written as MACs
EXPECTED.update({51: ("holds", None), 52: ("holds", None), 53: ("fails", None), 54: ("holds", None)})
EXPECTED[55] = ("fails", ACTS)  # torchvision's adaptive pool adds 512·7·7
EXPECTED[56] = ("holds", None)


def test_published_figures_behind_the_walk() -> None:
    # REFERENCE.md: VGG-D 138,357,544 parameters, 15,470,264,320 MACs; E 143,667,240 (paper Table 2: 138M, 144M).
    assert (PARAMS, MACS, ACTS) == (138_357_544, 15_470_264_320, 15_237_608)
    assert sum(row["weights"] + row["biases"] for row in vgg_walk(VGG_E)) == 143_667_240


def test_every_line_of_the_lecture_notes_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    page = check_page(text, symcnn.parse("vgg-d", n=224), "vgg-d")
    assert len(page.lines) == len(EXPECTED) >= 40
    for line in page.lines:
        status, right = EXPECTED[line.number]
        assert line.status == status, (line.number, line.text)
        if right is not None:
            assert any(claim.expected == right for claim in line.claims if not claim.holds), line.number
    # every claim found: the CS231n rows hold two each (memory, weights)
    assert all(len(page.lines[number - 1].claims) == 2 for number in range(8, 30))
    assert len(page.lines[55].claims[0].found.amounts) == 4  # 2 359 296 (thin spaces) = 2'359'296 = 2_359_296
    slips = {
        line.number: {getattr(slip, "kind", getattr(slip, "name", "")) for c in line.claims for slip in c.slips}
        for line in page.lines
    }
    assert "biases-left-out" in slips[36] and "vgg-e" in slips[42] and "macs-for-flops" in slips[46]
    assert "flops-for-macs" in slips[48] and "mib-as-mb" in slips[53] and "vgg16" in slips[55]
    # the other holding lines: what they equal, from the walk (the network's value or the layer's found)
    params = [row["weights"] + row["biases"] for row in CONV]
    weights_total = sum(row["weights"] for row in D)
    holding = {32: [PARAMS], 35: [params[4]], 37: [params[13]], 38: [params[14]], 39: [params[15]]}
    holding |= {40: [PARAMS, weights_total], 41: [PARAMS], 45: [MACS], 47: [CONV[0]["macs"]], 51: [D[1]["acts"]]}
    holding |= {52: [D[1]["acts"]], 54: [ACTS], 56: [CONV[8]["weights"]]}
    for number, values in holding.items():
        found = [
            claim.expected or (claim.matched.value if claim.matched else None)
            for claim in page.lines[number - 1].claims
        ]
        assert found == values, number
    # each CS231n row is tied to its layer, in order: the input, 13 convs, 5 pools, 3 FCs of the walk
    for number, row in zip(range(8, 30), D, strict=True):
        memory_claim, weights_claim = page.lines[number - 1].claims
        assert (memory_claim.expected, weights_claim.expected) == (row["acts"], row["weights"]), number
    memory, params = page.sums
    assert (memory.line, memory.total, memory.holds) == (31, ACTS, False)  # "rows add up to 15,237,608, not 24M"
    weights_written = sum(row["weights"] for row in D) - CONV[3]["weights"] + 3 * 3 * 64 * 128  # row 13's slip
    assert (params.line, params.total, params.holds) == (32, weights_written, True)


def test_adaptive_pool_as_torchvision_builds_vgg16() -> None:
    torchvision = pytest.importorskip("torchvision")
    torch = pytest.importorskip("torch")
    model = torchvision.models.vgg16(weights=None)
    outputs = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: outputs.append(out.numel()))
        for m in model.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.AdaptiveAvgPool2d, torch.nn.Linear))
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    for hook in hooks:
        hook.remove()
    with_pool = 3 * 224 * 224 + sum(outputs)
    page = check_page(f"{ACTS:,} activations\n{with_pool:,} activations", symcnn.parse("vgg16", n=224), "vgg16")
    first, second = page.lines
    assert second.status == "holds" and first.status == "fails"
    assert "adaptive-pool-left-out" in [getattr(slip, "kind", "") for slip in first.claims[0].slips]


ALEXNET = """\
# AlexNet, Krizhevsky, Sutskever & Hinton (2012), Fig. 2 and section 3.5, on 227x227 (--n 227)
conv1 [55x55x96]: 55*55*96 = 290,400 neurons, weights 11*11*3*96 = 34,848
the caption's first layer [55x55x96] neurons: 253,440
conv2 [27x27x256] neurons: 186,624   weights: 5*5*48*256 = 307,200
conv3 [13x13x384] neurons: 64,896
conv4 [13x13x384] neurons: 64,896
conv5 [13x13x256] neurons: 43,264
The network has 60 million parameters.
"""


def alexnet_walk() -> dict[str, int]:
    size1 = (227 - 11) // 4 + 1
    params = (11 * 11 * 3 * 96 + 96) + (5 * 5 * 48 * 256 + 256) + (3 * 3 * 256 * 384 + 384)
    params += (3 * 3 * 192 * 384 + 384) + (3 * 3 * 192 * 256 + 256)
    params += (256 * 6 * 6 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    return {"conv1": 96 * size1 * size1, "params": params}


def test_alexnet_paper_lines() -> None:
    walk = alexnet_walk()
    page = check_page(ALEXNET, symcnn.parse("alexnet-2012", n=227), "alexnet-2012")
    assert [line.status for line in page.lines] == [
        "no claim",
        "holds",
        "fails",
        "holds",
        "holds",
        "holds",
        "holds",
        "holds",
    ]
    assert page.lines[2].claims[0].expected == walk["conv1"] == 290_400
    assert round(walk["params"], -7) == 60_000_000  # "60 million" holds when 60,965,224 rounds to it
    # input and output shapes in one line: the claims after the output shape are about its layer
    line = f"conv1: [227x227x3] -> [55x55x96]: 11*11*3*96 = {11 * 11 * 3 * 96:,} weights, {walk['conv1']:,} neurons"
    (verdict,) = check_page(line, symcnn.parse("alexnet-2012", n=227), "alexnet-2012").lines
    assert verdict.status == "holds" and [claim.expected for claim in verdict.claims] == [34_848, walk["conv1"]]


def test_prose_words_units_and_typography() -> None:
    page = check_page(
        "Nothing to check here, see Table 2 of 2015.\n24M activations\n1,728 − 28 = 1,700\n15'237'608 activations"
    )
    assert [line.status for line in page.lines] == ["no claim", "holds", "holds", "holds"]
    net = symcnn.parse("vgg-d", n=224)
    page = check_page("24M activations\nfc1 weights ４０９６ = 1", net)
    assert page.lines[0].status == "fails" and page.lines[0].claims[0].expected == ACTS
    assert page.lines[1].status == "unreadable" and "^" in page.lines[1].error and "FULLWIDTH" in page.lines[1].error


def test_bad_claim_gets_a_caret_and_nothing_runs_as_python() -> None:
    page = check_page("weights: __import__('os') 3 +* 4 = 7\nok: 2 = 2")
    assert page.lines[0].status == "unreadable" and page.lines[0].error.startswith("line 1, column")
    assert page.lines[1].status == "holds"
    long_side = check_page("1*" * 400 + "1 = 1 weights").lines[0]  # the grammar's limit holds on the fast path too
    assert long_side.status == "unreadable" and "longer than 500 characters" in long_side.error


def test_cli_page_formats_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--arch", "vgg-d", str(PAGE)]) == 1
    out = capsys.readouterr().out
    assert "the 22 figures above add up to 15,237,608, not 24M" in out
    assert main(["check", "--arch", "vgg-d", f"@{PAGE}", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["lines"] == len(EXPECTED)
    assert main(["check", "--arch", "vgg-d", str(PAGE), "--format", "markdown"]) == 1
    assert capsys.readouterr().out.count("\n| ") == len(EXPECTED) + 1
    assert main(["check", "1+1=2", "--format", "json"]) == 2  # a single claim has no page format
    assert main(["check", str(PAGE)]) == 1  # no --arch: the arithmetic alone, where lines 31 and 53 fail
    out = capsys.readouterr().out
    assert "56 lines, 65 claims: 63 hold, 2 fail" in out and "arithmetic only" in out


def test_ten_thousand_lines_in_two_seconds(tmp_path: Path) -> None:
    """Every number different (no cache helps) and every claim failing (every slip searched): the worst page.

    Measured as the child's CPU time (user + sys): the wall clock of a shared CI machine measures its load.
    """
    rows = [
        f"CONV{i}: [{i % 200 + 1}x7x512] memory: {i}*7*512 = {i * 3584:,}  weights: 3*3*{i}*512 = {i * 4608:,}"
        for i in range(10_000)
    ]
    path = tmp_path / "page.txt"
    path.write_text("\n".join(rows), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "symcnn", "check", "--arch", "vgg-d", str(path)], capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 1, done.stderr
    assert done.stdout.decode().splitlines()[-1].startswith("10,000 lines, 20,000 claims:")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu <= 2.0, cpu


def test_fast_path_reads_sides_as_the_grammar_does() -> None:
    """amounts.read_side skips the parser for plain numbers and products; the grammar is the second route."""
    from symcnn.arithmetic import parse_claim
    from symcnn.page.amounts import read_side
    from symcnn.page.scan import scan_line

    sides = [
        "1,728",
        "3.2M",
        "0.59M",
        "12.25MiB",
        "93MB",
        "138M",
        "007",
        "224*224*64",
        "3 x 3 x 512 x 512",
        "7×7×512×4096",
    ]
    sides += [
        "3·3·3·64",
        "2^10",
        "1e9",
        "(3*3*3)*64",
        "4096 × 4096 + 4096",
        "15.5B",
        "800K",
        "25K",
        "1,000,000,000,000,000,000",
    ]
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        for claim in (claim for claim in scan_line(line).claims if claim.relations):
            sides += [
                side for side in claim.text.replace("~=", "=").replace("≈", "=").split("=") if "bytes" not in side
            ]
    for side in sides:
        assert read_side.__wrapped__(side) == parse_claim(side).left, side


def test_shapes_units_batch_and_another_input_size() -> None:
    at_192 = sum(row["weights"] + row["biases"] for row in vgg_walk(VGG_D, 192))
    text = (
        "In 2014, VGG reached 7.3% top-5 error with 16-19 layers; lr=0.01, batch=256, 2015-06-01.\n"
        f"conv1_1 64×224×224: {D[1]['acts']:,} values\n"
        f"conv1_2 (64, 224, 224): {D[2]['acts']:,} activations, {D[2]['weights'] + D[2]['biases']:,} params\n"
        "memory: 24M × batch\n"
        f"VGG-D at 192x192: {at_192:,} parameters\n"
        f"conv1_1 output in float32: 224*224*64 * 32 bits = {D[1]['acts'] * 4:,} bytes\n"
    )
    page = check_page(text, symcnn.parse("vgg-d", n=224), "vgg-d")
    assert [line.status for line in page.lines] == ["no claim", "holds", "holds", "holds", "fails", "holds"]
    assert page.lines[1].rows[0].index == 1 and page.lines[2].rows[0].index == 3  # CHW ties, in order
    assert page.lines[3].claims[0].note.startswith("per batch")
    (slip,) = page.lines[4].claims[0].slips
    assert (getattr(slip, "kind", ""), getattr(slip, "detail", 0)) == ("input-size", 192)


def test_page_from_stdin_and_the_file_or_claim_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("TOTAL params: 138M parameters\n"))
    assert main(["check", "--arch", "vgg-d", "-"]) == 0
    assert "1 line, 1 claim: 1 holds" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    (tmp_path / "138M").write_text("VGG-16 has 144M parameters\n", encoding="utf-8")
    assert main(["check", "138M"]) == 0  # a text that reads as a claim stays a claim
    assert capsys.readouterr().out.startswith("138,000,000")
    assert main(["check", "--arch", "vgg-d", "@138M"]) == 1  # @FILE: the page
    assert "vgg-e" in capsys.readouterr().out
    (tmp_path / "notes.txt").write_text("TOTAL params: 138M parameters\n", encoding="utf-8")
    assert main(["check", "--arch", "vgg-d", "notes.txt"]) == 0  # a path that is no claim: the page
    assert main(["check", "--arch", "vgg-d", "@missing.txt"]) == 2
    assert "cannot read the page" in capsys.readouterr().err


def test_a_line_in_words_as_a_single_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "24M activations", "--arch", "vgg-d"]) == 1
    assert f"the activations of the network: {ACTS:,}" in capsys.readouterr().out
    assert main(["check", "hello = 3 +* 4"]) == 2  # no claim found in the words: the grammar's caret
    assert "^" in capsys.readouterr().err


def test_byte_slips_against_the_walk() -> None:
    page = check_page(
        f"activations: {4 * ACTS:,}\nmemory: 58.1MB\nmemory: {2 * ACTS:,} bytes\nmemory: {ACTS * 4 / 10**6:.1f}MB\n",
        symcnn.parse("vgg-d", n=224),
        "vgg-d",
    )
    kinds = [[getattr(slip, "kind", "") for slip in line.claims[0].slips] for line in page.lines]
    assert [line.status for line in page.lines] == ["fails", "fails", "fails", "holds"]
    assert kinds[:3] == [["float32-bytes"], ["mib-as-mb"], ["float16-bytes"]]
    assert round(ACTS * 4 / 2**20, 1) == 58.1  # the MiB figure the second line writes as MB
    assert [line.claims[0].expected for line in page.lines] == [ACTS, 4 * ACTS, 4 * ACTS, 4 * ACTS]


def test_any_line_gets_a_verdict_never_a_crash() -> None:
    """Random lines of numbers, operators, units, words and shapes: a verdict each (or a caret), never a traceback."""
    import random

    pieces = ["1", "0", ",", "000", ".", "5", "M", "K", "MB", "MiB", "B", " ", "x", "×", "·", "*", "/", "+", "-", "−"]
    pieces += ["=", "~=", "≈", "~", "(", ")", "[", "]", "params", "memory", "FLOPs", "GMACs", "million", "bytes"]
    pieces += ["total", ":", "#", "224", "x224x64", "'", "_", "\u2009", "４", "²", "batch", "e9", "^", "(64, 224, 224)"]
    chooser = random.Random(12)
    lines = ["".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 25))) for _ in range(2000)]
    page = check_page("\n".join(lines), symcnn.parse("vgg-d", n=224), "vgg-d")
    assert len(page.lines) == 2000
    assert all(line.status in ("holds", "fails", "no claim", "unreadable") for line in page.lines)
    assert all("^" in line.error for line in page.lines if line.status == "unreadable")
