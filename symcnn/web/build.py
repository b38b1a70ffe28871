"""Assemble the playground: a static folder that runs symcnn in the browser, offline.

Everything comes from the registries through their ordinary clients, pinned and
checked: Pyodide, KaTeX and Graphviz (viz.js) with ``npm pack`` (their tarballs' sha512 as npm
publishes it), the pure-Python wheels symcnn needs with ``pip download`` (their
sha256), and symcnn's own wheel with ``pip wheel`` from the checkout. Node then
runs Pyodide to add the wheels' bytecode (:mod:`symcnn.web.bytecode`). Downloads
and compiled wheels are kept in a cache folder (``~/.cache/symcnn-web`` unless
told), so a second build, or a CI run with the cache restored, downloads nothing.
The page itself fetches nothing from elsewhere at run time.

>>> sorted(wheel.name for wheel in WHEELS), VIZ.tarball
(['lark', 'mpmath', 'sympy'], 'viz-js-viz-3.31.0.tgz')
>>> integrity(b"")[:20]
'sha512-z4PhNX7vuL3xV'
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import symcnn


class BuildError(Exception):
    """A step of the build failed: a tool missing, a download refused, a checksum wrong."""


@dataclass(frozen=True)
class NpmPackage:
    """A pinned npm tarball and the files the site takes from it (paths inside ``package/``)."""

    name: str
    version: str
    integrity: str  # npm's dist.integrity
    folder: str  # the site's folder for its files
    files: tuple[str, ...]
    folders: tuple[tuple[str, str], ...] = ()  # (folder inside the tarball, file suffix) copied whole

    @property
    def tarball(self) -> str:
        """The file ``npm pack`` writes: ``@scope/name`` becomes ``scope-name``."""
        return f"{self.name.removeprefix('@').replace('/', '-')}-{self.version}.tgz"


@dataclass(frozen=True)
class Wheel:
    """A pinned pure-Python wheel from PyPI."""

    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-py3-none-any.whl"


# Pyodide 0.29.5 runs CPython 3.13; its npm package has the runtime, not the package wheels.
PYODIDE = NpmPackage(
    "pyodide",
    "0.29.5",
    "sha512-TkYrUv9m8QmfImADKRmpwZulL48E0uUaBSO+dvRQKyAJc0qh9gu7jn8btyHPh3NZm1r2IH2YrJhIr7Q2B9urAw==",
    "pyodide",
    ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"),
)
KATEX = NpmPackage(
    "katex",
    "0.16.25",
    "sha512-woHRUZ/iF23GBP1dkDQMh1QBad9dmr8/PAwNA54VrSOVYgI12MAcE14TqnDdQOdzyEonGzMepYnqBMYdsoAr8Q==",
    "katex",
    ("dist/katex.min.js", "dist/katex.min.css", "LICENSE"),
    (("dist/fonts", ".woff2"),),  # every browser that runs WebAssembly reads woff2, KaTeX's first choice
)
# Graphviz compiled to WebAssembly, embedded in one script: draws `symcnn report --format dot`.
VIZ = NpmPackage(
    "@viz-js/viz",
    "3.31.0",
    "sha512-r7zlQdRvcwvIpjHGgs+KNWHeE/P5/Dq7k8ZAKaMCbZqomxCBJV78gVuQYaHzFVca+kB0mX0fMW9UFevCOBG50A==",
    "viz",
    ("dist/viz-global.js",),
)
# The versions the test environment runs, so the page derives what the command line derives.
WHEELS = (
    Wheel("mpmath", "1.3.0", "a0b2b9fe80bbcd81a6647ff13108738cfb482d481d826cc0e02f5b35e5c88d2c"),
    Wheel("sympy", "1.14.0", "e091cc3e99d2141a0ba2847328f5479b05d94a6635cb96148ccb3f34671bd8f5"),
    Wheel("lark", "1.3.1", "c629b661023a014c37da873b4ff58a817398d12635d3bbb2c5a03be7fe5d1e12"),
)
REPORT_NEEDS = ("lark",)  # a numeric report imports no sympy
STATIC = ("index.html", "app.js", "style.css")


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/symcnn-web``, else ``~/.cache/symcnn-web``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "symcnn-web"


def default_source() -> Path:
    """The checkout this symcnn runs from (its ``pyproject.toml``), for ``pip wheel``."""
    root = Path(symcnn.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        raise BuildError(f"symcnn is not running from a checkout ({root} has no pyproject.toml); give --source DIR")
    return root


def integrity(data: bytes) -> str:
    """npm's integrity string of a tarball: ``sha512-`` and the base64 digest."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def build(out: Path, cache: Path | None = None, source: Path | None = None) -> list[Path]:
    """Write the site into ``out`` (created if needed) and return the files written."""
    cache = cache or default_cache()
    tarballs = [(package, _npm_tarball(package, cache / "npm")) for package in (PYODIDE, KATEX, VIZ)]
    wheels = [_wheel(wheel, cache / "wheels") for wheel in WHEELS]
    out.mkdir(parents=True, exist_ok=True)
    for folder in (PYODIDE.folder, KATEX.folder, VIZ.folder, "wheels"):  # this build's own: nothing stale survives
        shutil.rmtree(out / folder, ignore_errors=True)
    written: list[Path] = []
    for package, tarball in tarballs:
        written += _extract(package, tarball, out / package.folder)
    (out / "wheels").mkdir()
    with tempfile.TemporaryDirectory() as scratch:
        own = _own_wheel(source or default_source(), Path(scratch))
        for wheel in _compiled(wheels, own, out / PYODIDE.folder, cache / "compiled"):
            written.append(Path(shutil.copy2(wheel, out / "wheels" / wheel.name)))
    static = resources.files("symcnn.web") / "static"
    for name in STATIC:
        target = out / name
        target.write_bytes((static / name).read_bytes())
        written.append(target)
    site = {
        # The report needs symcnn and lark only; sympy loads while the first table is on the screen.
        "wheels": {
            "report": [wheel.filename for wheel in WHEELS if wheel.name in REPORT_NEEDS] + [own.name],
            "closed_forms": [wheel.filename for wheel in WHEELS if wheel.name not in REPORT_NEEDS],
        },
        "versions": {"symcnn": symcnn.__version__}
        | {package.folder: package.version for package in (PYODIDE, KATEX, VIZ)}
        | {wheel.name: wheel.version for wheel in WHEELS},
    }
    (out / "site.json").write_text(json.dumps(site, indent=2) + "\n", encoding="utf-8")
    written.append(out / "site.json")
    return written


def _compiled(pinned: Sequence[Path], own: Path, pyodide: Path, cache: Path) -> list[Path]:
    """Add bytecode (:mod:`symcnn.web.bytecode`) to Pyodide's standard library, in place, and to
    every wheel, returned: the pinned files from the cache once compiled, symcnn's own each build;
    one Node process compiles whatever is missing."""
    here = resources.files("symcnn.web")
    tools = [here / "bytecode.py", here / "precompile.cjs"]
    key = hashlib.sha256(b"".join(tool.read_bytes() for tool in tools)).hexdigest()[:12]
    folder = cache / f"pyodide-{PYODIDE.version}-{key}"  # new bytecode for a new Pyodide or compiler
    folder.mkdir(parents=True, exist_ok=True)
    stdlib = pyodide / "python_stdlib.zip"
    missing = [path for path in [stdlib, *pinned] if not (folder / path.name).is_file()]
    with tempfile.TemporaryDirectory() as scratch, resources.as_file(tools[0]) as bytecode:
        with resources.as_file(tools[1]) as script:
            _run(["node", str(script), str(pyodide), str(bytecode), scratch, *map(str, [*missing, own])])
        for path in missing:
            shutil.move(Path(scratch) / path.name, folder / path.name)
        shutil.copy2(folder / stdlib.name, stdlib)
        return [folder / wheel.name for wheel in pinned] + [Path(shutil.copy2(Path(scratch) / own.name, own))]


def _npm_tarball(package: NpmPackage, folder: Path) -> Path:
    """The package's tarball from the cache, or from ``npm pack`` into it; checked either way."""
    path = folder / package.tarball
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        _run(["npm", "pack", "--silent", f"{package.name}@{package.version}", "--pack-destination", str(folder)])
    found = integrity(path.read_bytes())
    if found != package.integrity:
        path.unlink()
        raise BuildError(f"{path.name}: integrity {found} is not the pinned {package.integrity}; removed it")
    return path


def _wheel(wheel: Wheel, folder: Path) -> Path:
    """The wheel from the cache, or from ``pip download`` into it; checked either way."""
    path = folder / wheel.filename
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps"]
        _run([*pip, "--dest", str(folder), f"{wheel.name}=={wheel.version}"])
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != wheel.sha256:
        path.unlink()
        raise BuildError(f"{path.name}: sha256 {found} is not the pinned {wheel.sha256}; removed it")
    return path


def _own_wheel(source: Path, folder: Path) -> Path:
    """symcnn's wheel built from ``source`` with ``pip wheel`` (hatchling), into the empty ``folder``."""
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(source)])
    built = sorted(folder.glob("symcnn-*.whl"))
    if len(built) != 1:
        raise BuildError(f"pip wheel {source} gave {[path.name for path in built]}, not one symcnn wheel")
    return built[0]


def _extract(package: NpmPackage, tarball: Path, folder: Path) -> list[Path]:
    """The package's chosen files, flattened into ``folder`` (fonts into ``folder/fonts``)."""
    written = []
    with tarfile.open(tarball) as archive:
        members = {member.name.removeprefix("package/"): member for member in archive.getmembers() if member.isfile()}
        chosen = {name: Path(name).name for name in package.files}
        for inside, suffix in package.folders:
            for name in members:
                if name.startswith(inside + "/") and name.endswith(suffix):
                    chosen[name] = f"{Path(inside).name}/{Path(name).name}"
        for name, target_name in sorted(chosen.items()):
            if name not in members:
                raise BuildError(f"{tarball.name} has no {name}")
            data = archive.extractfile(members[name])
            assert data is not None  # a regular file always has contents
            target = folder / target_name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.read())
            written.append(target)
    return written


def _run(command: Sequence[str]) -> None:
    """Run a registry client; its failure (or absence) is a BuildError with its own words."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BuildError(f"{command[0]} is not installed; the build needs npm, node and pip") from None
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip()
        raise BuildError(f"{' '.join(command)} failed (exit {result.returncode}):\n{said}")
