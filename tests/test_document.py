"""Derivation documents: they compile with a real TeX engine, and the PDF shows the right numbers.

Each document is compiled with ``pdflatex -interaction=nonstopmode -halt-on-error``
(Debian's texlive-latex-base, which .ci/run installs); ``pdfinfo`` counts its
pages and ``pdftotext`` gives the text the numbers are looked for in. Without
those tools the tests fail — they do not skip: CI must compile the documents.

Every expected number comes from a source other than symcnn:
- ../shared/REFERENCE.md, the accepted answer's VGG-16 at 224: the first
  conv3-256 has 128·3·3·256 + 256 = 295,168 parameters, fc1 (512·7·7)·4096 +
  4096 = 102,764,544, 138,357,544 in all; MACs 15,470,264,320; torchvision's
  resnet18: 11,689,512 parameters, 9,620 buffers;
- ../shared/DERIVATION.md: VGG-16's parameters are 2048·n² + 35,597,096 for n a
  multiple of 32, valid for n ≥ 32;
- the small text with odd options: torch's own modules, built by hand here
  (not by symcnn.to_torch), give the sizes, parameters and buffers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import symcnn
from symcnn.render import document as document_render

TOOLS = ("pdflatex", "pdfinfo", "pdftotext")
MISSING = (
    "{tool} is not installed: the derivation documents are compiled with Debian's texlive "
    "(apt-get install --no-install-recommends texlive-latex-base poppler-utils; .ci/run installs them)"
)

# Odd options: ceil_mode (the avgpool's last window would start past the input at n = 31,
# so PyTorch drops it), dilation, groups, bias=false, a rectangular kernel, a depthwise conv.
ODD = (
    "conv3-32(stride=2) conv1x7-64(dilation=2, groups=2, bias=false) "
    "maxpool3(stride=2, padding=1, ceil_mode=true) bn relu dwconv3 "
    "avgpool2(stride=3, ceil_mode=true) fc10(bias=false)"
)
ODD_N = 31


def require_tools() -> None:
    for tool in TOOLS:
        if shutil.which(tool) is None:
            pytest.fail(MISSING.format(tool=tool), pytrace=False)


def compile_pdf(tex: str, folder: Path) -> tuple[int, str]:
    """Compile ``tex`` in ``folder``: the PDF's number of pages and its text, normalised."""
    require_tools()
    (folder / "derivation.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "derivation.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (folder / "derivation.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, f"pdflatex failed:\n{log[-3000:]}"
    info = subprocess.run(["pdfinfo", "derivation.pdf"], cwd=folder, capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    text = subprocess.run(
        ["pdftotext", "derivation.pdf", "-"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout
    return pages, normalise(text)


def normalise(text: str) -> str:
    """Each line without digit-group separators (295,168 and 295 168 read 295168) and without
    spaces, except one between two numbers."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"(?<=\d)[,\s\u2009\u202f](?=\d{3}(?!\d))", "", line)
        line = re.sub(r"(?<=\d)\s+(?=\d)", " ", line)
        lines.append(re.sub(r"(?<!\d)\s+|\s+(?!\d)", "", line))
    return "\n".join(lines)


def has_number(text: str, number: int) -> bool:
    """``number`` in ``text``, not as part of a longer number."""
    return re.search(rf"(?<!\d){number}(?!\d)", text) is not None


def test_normalise_reads_grouped_numbers() -> None:
    text = normalise("= (3 · 3 · 128 + 1) · 256 = 295,168\nparams 138 357 544\n12,672 7,168")
    assert "(3·3·128+1)·256=295168" in text
    assert has_number(text, 138357544) and has_number(text, 12672) and not has_number(text, 2672)


def test_missing_texlive_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(pytest.fail.Exception, match=r"pdflatex is not installed: .*texlive"):
        require_tools()


def test_vgg16_at_224(tmp_path: Path) -> None:
    pages, text = compile_pdf(symcnn.parse("vgg-d", n=224).latex(document=True), tmp_path)
    assert pages >= 1
    # REFERENCE.md: the first conv3-256 has 128·3·3·256 + 256 = 295,168 parameters.
    assert "(3·3·128+1)·256=295168" in text
    # REFERENCE.md: fc1 (512·7·7)·4096 + 4096 = 102,764,544: five 2×2 max-pools take 224 to 7.
    assert "(512·7·7+1)·4096=102764544" in text
    # 3×3 convs with padding 1 keep the size: ⌊(224 + 2·1 − 3)/1⌋ + 1 = 224 (pdftotext drops the floor signs).
    assert "(224+2·1−3)/1+1=224" in text
    # REFERENCE.md: 138,357,544 parameters in all; MACs 15,470,264,320.
    assert has_number(text, 138357544)
    assert has_number(text, 15470264320)


def _vgg16_fields() -> list[tuple[int, int]]:
    """Distill's recurrence over VGG-16's convolutions and pools, written out here: (r, j) after each pool."""
    r, j, found = 1, 1, []
    for convs in (2, 2, 3, 3, 3):
        r += convs * (3 - 1) * j  # 3×3 convolutions, stride 1
        r, j = r + (2 - 1) * j, 2 * j  # 2×2 max pooling, stride 2
        found.append((r, j))
    return found


def test_vgg16_receptive_fields(tmp_path: Path) -> None:
    tex = symcnn.parse("vgg-d", n=224).latex(document=True)
    _, text = compile_pdf(tex, tmp_path)
    assert "Receptivefields" in text  # pdftotext, spaces removed
    pools = [layer.index for layer in symcnn.parse("vgg-d", n=224).layers if layer.name == "maxpool"]
    for index, (r, j) in zip(pools, _vgg16_fields(), strict=True):
        # "r = r_in + (2 − 1)·1·j_in = r" for each pool; pool5 sees 212 pixels
        start = re.escape(rf"\textbf{{{index}}} \texttt{{maxpool}}: $r = ")
        rule = re.escape(rf" + (2 - 1) \cdot 1 \cdot {j // 2} = {r}$, $j = {j}$")
        assert re.search(start + r"\d+" + rule, tex), index
    assert _vgg16_fields()[-1] == (212, 32)
    assert "=212,j=32" in text


def test_vgg16_symbolic(tmp_path: Path) -> None:
    pages, text = compile_pdf(symcnn.parse("vgg-d").latex(document=True), tmp_path)
    assert pages >= 1
    # DERIVATION.md: 2048·n² + 35,597,096 for n a multiple of 32, valid for n ≥ 32 (n² reads n2 in the text).
    assert "=2048·n2+35597096" in text
    assert "fornamultipleof32" in text
    assert "n≥32" in text
    assert "(n+2·1−3)/1+1=n" in text
    # REFERENCE.md: at n = 224 the closed forms give 138,357,544 parameters.
    assert has_number(text, 138357544)


def test_resnet18_nested(tmp_path: Path) -> None:
    pages, text = compile_pdf(symcnn.parse("resnet18", n=224).latex(document=True), tmp_path)
    assert pages >= 2
    # Headed by block path; bias-free convs without the + 1.
    assert "layer1/basic1/res/b1" in text and "layer4/basic_proj" in text
    assert "3·3·64·64=36864" in text
    # REFERENCE.md (torchvision resnet18): 11,689,512 parameters, 9,620 buffers.
    assert has_number(text, 11689512)
    assert has_number(text, 9620)


def odd_torch_layers() -> list[tuple[object, tuple[int, ...], tuple[int, ...]]]:
    """The odd text's layers as torch builds them, each with its input and output shape (C, H, W) at n = 31."""
    import torch

    nn = torch.nn
    modules = [
        nn.Conv2d(3, 32, 3, stride=2, padding=1),
        nn.Conv2d(32, 64, (1, 7), padding=(0, 3), dilation=2, groups=2, bias=False),
        nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, groups=64),
        nn.AvgPool2d(2, stride=3, ceil_mode=True),
    ]
    x = torch.zeros(1, 3, ODD_N, ODD_N)
    shapes = []
    for module in modules:
        y = module(x)
        shapes.append((module, tuple(x.shape[1:]), tuple(y.shape[1:])))
        x = y
    fc = nn.Linear(x.numel(), 10, bias=False)
    return [*shapes, (fc, (x.numel(),), (10,))]


def test_odd_options(tmp_path: Path) -> None:
    import torch

    layers = odd_torch_layers()
    pages, text = compile_pdf(symcnn.parse(ODD, n=ODD_N).latex(document=True), tmp_path)
    assert pages >= 1
    params = buffers = macs = 0
    for module, before, after in layers:
        count = sum(p.numel() for p in module.parameters())
        params += count
        buffers += sum(b.numel() for b in module.buffers())
        if count:
            assert has_number(text, count), f"{module}: {count:,} parameters"
        if isinstance(module, torch.nn.Conv2d):
            macs += module.weight.numel() * after[1] * after[2]
            (k_h, k_w), s_w, p_w, d_w = module.kernel_size, module.stride[1], module.padding[1], module.dilation[1]
            if d_w != 1:
                # the width of the dilated 1×7 conv, its numbers put into PyTorch's rule
                assert f"({before[2]}+2·{p_w}−{d_w}·({k_w}−1)−1)/{s_w}+1={after[2]}" in text
            if module.groups > 1:
                per_group = f"{k_h}·{k_w}·{module.in_channels}/{module.groups}"
                bias = "+1)" if module.bias is not None else ""
                formula = f"{'(' if bias else ''}{per_group}{bias}·{module.out_channels}={count:,}".replace(",", "")
                assert formula in text, formula
        elif isinstance(module, torch.nn.Linear):
            macs += module.weight.numel()
        elif isinstance(module, torch.nn.AvgPool2d):
            # ceil_mode: min(⌈(x + 2p − k)/s⌉ + 1, ⌈(x + p)/s⌉); the first term is 1 too many here.
            k, s, p = module.kernel_size, module.stride, module.padding
            width = before[2]
            assert f"min(({width}+2·{p}−{k})/{s}+1,({width}+{p})/{s})={after[2]}" in text
            assert after[2] == 2
    assert has_number(text, params)
    assert has_number(text, buffers)
    assert has_number(text, macs)


@pytest.mark.parametrize("name", ["vgg-d", "resnet18", "googlenet", "mobilenet_v2", "alexnet"])
def test_document_cross_checks_the_zoo(name: str) -> None:
    # Every formula is worked out from its numbers and compared with the analysis
    # (an AssertionError otherwise), at n = 224 and at sample values of a free n.
    for net in (symcnn.parse(name, n=224), symcnn.parse(name)):
        assert document_render.document(net).count(r"\begin{minipage}") > 0


def test_depth_folds_blocks() -> None:
    net = symcnn.parse("resnet18", n=224)
    folded = net.latex(depth=1, document=True)
    # REFERENCE.md: resnet18 has 11,689,512 parameters; folded or not, the totals agree.
    assert "11{,}689{,}512" in folded and "sum over the block" in folded
    assert net.latex(document=True) != folded


def test_names_are_escaped(tmp_path: Path) -> None:
    # A raw "_" or "#" would stop pdflatex; the PDF shows them as written.
    net = symcnn.parse("let my_block = conv3-8 relu  # a comment\nmy_block fc10", n=8)
    pages, text = compile_pdf(net.latex(document=True), tmp_path)
    assert pages >= 1  # it compiled (two pages since the receptive fields have a section)
    assert "my_block" in text and "#acomment" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", symcnn.zoo.names())
def test_every_zoo_document_compiles(name: str, tmp_path: Path) -> None:
    pages, _ = compile_pdf(symcnn.parse(name).latex(document=True), tmp_path)
    assert pages >= 1
