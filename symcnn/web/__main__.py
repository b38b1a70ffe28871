"""``python -m symcnn.web build OUT [--cache DIR] [--source DIR]``: assemble the playground site.

Serve the folder with ``python -m http.server -d OUT`` and open http://localhost:8000/.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .build import BuildError, build, default_cache


def main(argv: Sequence[str] | None = None) -> int:
    """Build the site; 0 on success, 1 when a step fails (with its message on stderr)."""
    parser = argparse.ArgumentParser(prog="python -m symcnn.web", description="The playground: a static site.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("build", help="assemble the static site into OUT")
    command.add_argument("out", type=Path, help="the folder to write (created if needed)")
    command.add_argument(
        "--cache", type=Path, default=None, help=f"where downloads are kept (default {default_cache()})"
    )
    command.add_argument("--source", type=Path, default=None, help="the symcnn checkout to build the wheel from")
    args = parser.parse_args(argv)
    try:
        written = build(args.out, args.cache, args.source)
    except BuildError as error:
        print(f"symcnn.web: error: {error}", file=sys.stderr)
        return 1
    size = sum(path.stat().st_size for path in written)
    print(f"wrote {len(written)} files ({size / 1e6:.1f} MB) to {args.out}; serve: python -m http.server -d {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
