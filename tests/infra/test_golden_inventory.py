"""The inventory of each stack, kept in git: a PR that changes the infrastructure shows the
change as a diff of tests/infra/golden/<stack>.json, reviewable without `pulumi preview`.

Refresh after an intended change with `pytest tests/infra --update-golden`.
"""

from __future__ import annotations

import json
from pathlib import Path

from plumbing.inventory import report as inv

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_inventory_matches_golden(inventory, stack, request):
    path = GOLDEN / f"{stack}.json"
    text = json.dumps({"stack": stack, "resources": inventory}, indent=1, sort_keys=True) + "\n"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"no {path}; run pytest tests/infra --update-golden"
    saved = inv.load_saved(path)
    if saved != inventory:
        raise AssertionError(f"{stack}: the program's inventory differs from {path.name} "
                             f"(if intended, run pytest tests/infra --update-golden):\n"
                             + inv.format_diff(inv.diff(saved, inventory)))
