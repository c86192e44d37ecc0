"""Before `make bench`: prove the benchmarks run on what `pip install safehands` gives a user.

The figures mean something only if they are measured on the installed package with its runtime
dependencies and nothing else: not the source tree, not the dev extra. Exits 1 otherwise.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import sys
from pathlib import Path

DEV_ONLY = ("pytest", "hypothesis", "playwright", "ruff", "deptry")


def main() -> int:
    spec = importlib.util.find_spec("safehands")
    if spec is None or spec.origin is None:
        print("safehands is not installed in this interpreter", file=sys.stderr)
        return 1
    origin = Path(spec.origin).resolve()
    if "site-packages" not in origin.parts:
        print(f"safehands is imported from {origin.parent}, not an installed copy", file=sys.stderr)
        return 1
    present = [name for name in DEV_ONLY if importlib.util.find_spec(name) is not None]
    if present:
        print(f"dev packages are installed here: {', '.join(present)}", file=sys.stderr)
        return 1
    version = metadata.version("safehands")
    print(f"== plain install: safehands {version} from {origin.parent}, no dev extra ==")
    return 0


if __name__ == "__main__":
    sys.exit(main())
