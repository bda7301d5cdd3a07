"""Build ``default_head.glb``, the stylized head every user sees first.

Deterministic (no randomness, rounded output): running it again gives a byte-identical file.

Usage::

    python -m assets.avatar.build_default_avatar [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assets.avatar.headgen import assemble, glb, shapes, spec  # noqa: E402

DEFAULT_OUT = Path(__file__).with_name("default_head.glb")
"""Where the committed avatar lives."""


def build(out: Path = DEFAULT_OUT) -> Path:
    """Build the default head and write it to ``out``.

    Parameters
    ----------
    out
        Destination ``.glb`` path.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    parts = assemble.build_parts()
    shapes.build_targets(parts)
    out.parent.mkdir(parents=True, exist_ok=True)
    glb.write_glb(parts, spec.OUTPUT_OFFSET, str(out), spec.HEAD_PIVOT)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .glb path")
    args = parser.parse_args(argv)
    path = build(args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
