"""Pulumi entry point (Pulumi.yaml: main: infra/). It only composes; see infra/compose.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # so `import infra.*` works under Pulumi

from infra.compose import compose  # noqa: E402

compose()
