"""The CEL library (common-expression-language), loaded once per process and cheaply.

Lint parses CEL expressions (Triggers interceptors, when[].cel) and the infra policies evaluate
IAM conditions with it; both get the compiled extension from `load()`.
"""

from __future__ import annotations


def load():
    """The CEL parser: common-expression-language's compiled extension `cel.cel`, loaded on
    first use. The package's __init__ also imports its command-line interface (typer,
    prompt_toolkit: ~200 ms), so the extension is loaded by itself and registered under its own
    name in sys.modules, where a later `import cel` finds it: it may be initialised only once
    per process (a second copy panics)."""
    import sys

    module = sys.modules.get("cel.cel")
    if module is not None:
        return module
    import importlib.machinery
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec("cel")
        folder = os.path.dirname(spec.origin)
        so = next(os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.startswith("cel.")
                  and f.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
        ext = importlib.util.spec_from_file_location("cel.cel", so)
        module = importlib.util.module_from_spec(ext)
    except (ImportError, StopIteration, AttributeError, TypeError, OSError):
        from cel import cel as module  # the whole package, slower to import
        return module
    sys.modules["cel.cel"] = module
    ext.loader.exec_module(module)
    return module
