"""Rule modules, one per area. Importing a module registers its rules."""

MODULES = ("files", "decode", "metadata", "removed", "steps", "params", "results", "refs", "pipeline",
           "when", "matrix", "runs", "workspaces", "features", "crossdoc", "runtime", "triggers", "triggers_refs",
           "cel")


def load():
    import importlib

    for name in MODULES:
        importlib.import_module(f"plumbing.lint.rules.{name}")
