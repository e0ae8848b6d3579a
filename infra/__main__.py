"""Pulumi entry point (Pulumi.yaml: main: infra/). It only composes; see infra/compose.py.

Pulumi's Python host runs this file as a script (as `plumbing infra plan` does, with runpy):
the repository root goes on the path so the program's modules import as the `infra` package.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from infra.compose import compose  # noqa: E402

compose()
