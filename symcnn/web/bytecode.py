"""Python's standard library and wheels with their bytecode, so the page compiles nothing.

Pyodide's npm package ships the standard library as sources, and its CPython
compiles every module it imports: most of Pyodide's start (2–3 s of 3) and of
sympy's import (about 6 s of 7.5) in the browser. At build time these functions
run inside Pyodide itself (``precompile.cjs``, under Node), so the bytecode is
that exact interpreter's, and add each ``.py`` file's bytecode beside it,
hash-based and unchecked (PEP 552): the unpacked files' times do not matter.
The sources stay, for tracebacks; test modules, which the page never imports,
stay uncompiled.

>>> import io, zipfile, tempfile, os, importlib.util
>>> folder = tempfile.mkdtemp()
>>> source, target = os.path.join(folder, "a.whl"), os.path.join(folder, "b.whl")
>>> with zipfile.ZipFile(source, "w") as wheel:
...     wheel.writestr("pkg/__init__.py", "X = 6 * 7\\n")
...     wheel.writestr("pkg-1.dist-info/RECORD", "pkg/__init__.py,sha256=abc,11\\n")
>>> compile_wheel(source, target)
1
>>> names = zipfile.ZipFile(target).namelist()
>>> cached = importlib.util.cache_from_source("pkg/__init__.py")
>>> cached in names, zipfile.ZipFile(target).read("pkg-1.dist-info/RECORD").decode().endswith(cached + ",,\\n")
(True, True)
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import sysconfig
import zipfile

# PEP 552 flags: bit 0 says the header holds the source's hash; bit 1 (checking it) stays off.
_UNCHECKED_HASH = 0b01


def compile_wheel(source: str, target: str) -> int:
    """Copy wheel ``source`` to ``target`` with bytecode beside every module; return how many."""
    site_packages = sysconfig.get_paths()["purelib"]  # where the page unpacks it, for tracebacks
    compiled: list[str] = []
    with zipfile.ZipFile(source) as wheel, zipfile.ZipFile(target + ".part", "w", zipfile.ZIP_DEFLATED) as out:
        record: tuple[zipfile.ZipInfo, bytes] | None = None
        for info in wheel.infolist():
            data = wheel.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record = (info, data)  # written last, with the new files listed
                continue
            out.writestr(info, data)
            if info.filename.endswith(".py") and "/tests/" not in info.filename:  # tests are never imported
                bytecode = _bytecode(data, f"{site_packages}/{info.filename}")
                if bytecode is not None:
                    name = importlib.util.cache_from_source(info.filename)
                    out.writestr(name, bytecode)
                    compiled.append(name)
        if record is not None:  # a .pyc is listed without a hash, as pip lists the ones it writes
            info, data = record
            out.writestr(info, data + "".join(f"{name},,\n" for name in compiled).encode())
    os.replace(target + ".part", target)
    return len(compiled)


def compile_stdlib(source: str, target: str) -> int:
    """Copy the standard library's zip ``source`` to ``target`` with ``name.pyc`` beside every
    ``name.py``, where ``zipimport`` looks for it; return how many.

    >>> import tempfile, os, zipfile
    >>> folder = tempfile.mkdtemp()
    >>> source, target = os.path.join(folder, "lib.zip"), os.path.join(folder, "lib-compiled.zip")
    >>> with zipfile.ZipFile(source, "w") as lib:
    ...     lib.writestr("json/__init__.py", "")
    >>> compile_stdlib(source, target), zipfile.ZipFile(target).namelist()
    (1, ['json/__init__.py', 'json/__init__.pyc'])
    """
    location = next((entry for entry in sys.path if entry.endswith(".zip")), source)  # where Pyodide mounts it
    count = 0
    with zipfile.ZipFile(source) as lib, zipfile.ZipFile(target + ".part", "w", zipfile.ZIP_DEFLATED) as out:
        for info in lib.infolist():
            data = lib.read(info)
            out.writestr(info, data)
            if info.filename.endswith(".py") and "/tests/" not in info.filename:
                bytecode = _bytecode(data, f"{location}/{info.filename}")
                if bytecode is not None:
                    out.writestr(info.filename + "c", bytecode)
                    count += 1
    os.replace(target + ".part", target)
    return count


def _bytecode(source: bytes, path: str) -> bytes | None:
    """A ``.pyc`` file's bytes for ``source``; None for a file this Python cannot compile."""
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # left to fail, as it would anyway, if it is ever imported
    flags = _UNCHECKED_HASH.to_bytes(4, "little")
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)
