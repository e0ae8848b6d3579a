"""Files in, findings out. Each file is parsed once; positions are computed only for findings."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

from yaml import MappingNode, ScalarNode

from plumbing.findings import Finding, PlumbingError
from plumbing.lint.model import _DICTS, LINTED_KINDS, TEKTON_GROUP, LintSet, Obj, units
from plumbing.yamlpos import Document, YamlSyntaxError, compose_all, construct

SUFFIXES = (".yaml", ".yml")
_DISABLE = re.compile(r"#\s*plumbing-lint\s+disable=([A-Za-z0-9_,\- ]+)")
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    skipped: int = 0

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class _File:
    display: str
    text: str
    docs: list = field(default_factory=list)
    disabled_lines: dict = field(default_factory=dict)   # line -> set of rule ids
    disabled_docs: dict = field(default_factory=dict)    # doc index -> set of rule ids


def expand(paths: list[str]) -> list[tuple[str, str | None]]:
    """(display, filesystem path or None for stdin) for every input; directories recursively."""
    out = []
    for p in paths:
        if p == "-":
            out.append(("<stdin>", None))
        elif os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x != "node_modules")
                for f in files:
                    if f.endswith(SUFFIXES):
                        full = os.path.join(root, f)
                        found.append(full)
            found.sort()
            out.extend((f, f) for f in found)
        elif os.path.exists(p):
            out.append((p, p))
        else:
            raise PlumbingError(f"{p}: no such file or directory")
    return out


def _kustomize_patches(files: list[tuple[str, str | None]], explicit: set[str]) -> set[str]:
    """Files named as patches (patches, patchesStrategicMerge, patchesJson6902) by a
    kustomization in any linted folder: partial objects, skipped like other non-objects."""
    import yaml

    patches: set[str] = set()
    known = {f for _, f in files if f}  # every *.yaml/*.yml of a walked folder is in here
    dirs = {os.path.dirname(f) for f in known}
    seen = set()
    for folder in dirs:
        for name in KUSTOMIZATIONS:
            k = os.path.join(folder, name)
            # a walked folder's kustomization.yaml is already listed: stat only the others
            if k in seen or (k not in known and name != "Kustomization" and folder not in explicit):
                continue
            if not os.path.isfile(k):
                continue
            seen.add(k)
            try:
                with open(k, encoding="utf-8") as fh:
                    data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except Exception:  # noqa: BLE001 - a broken kustomization is linted elsewhere
                continue
            if type(data) is not dict:
                continue
            entries = []
            for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
                for item in data.get(key) or [] if type(data.get(key)) is list else []:
                    if type(item) is str:
                        entries.append(item)
                    elif type(item) is dict and type(item.get("path")) is str:
                        entries.append(item["path"])
            for e in entries:
                patches.add(os.path.normpath(os.path.join(folder, e)))
    return patches


def _suppressions(f: _File) -> None:
    if "plumbing-lint" not in f.text:
        return
    bounds = []  # (first line, last line) of each document, 1-based
    prev = 0
    for doc in f.docs:
        end = doc.node.end_mark.line + 1 if doc.node is not None else prev + 1
        bounds.append((prev + 1, end))
        prev = end
    for n, line in enumerate(f.text.splitlines(), 1):
        m = _DISABLE.search(line)
        if not m:
            continue
        ids = {x.strip() for x in m.group(1).replace(" ", ",").split(",") if x.strip()}
        if line.lstrip().startswith("#"):
            for i, (a, b) in enumerate(bounds):
                if a <= n <= b or (i == len(bounds) - 1 and n > b):
                    f.disabled_docs.setdefault(i, set()).update(ids)
                    break
        else:
            f.disabled_lines.setdefault(n, set()).update(ids)


def read_inputs(paths: list[str], stdin=None):
    inputs = expand(paths)
    explicit = {os.path.dirname(p) for p in paths if p != "-" and not os.path.isdir(p)}
    patches = _kustomize_patches(inputs, explicit)
    files = []
    for display, fs in inputs:
        if fs is None:
            text = (stdin or sys.stdin).read()
        else:
            try:
                with open(fs, "rb") as fh:
                    raw = fh.read()
                text = raw.decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                files.append((_File(display, ""), f"cannot read: {exc}", fs, False))
                continue
        files.append((_File(display, text), None, fs, bool(fs and os.path.normpath(fs) in patches)))
    return files


def lint_paths(paths: list[str], settings=None, stdin=None) -> Result:  # noqa: C901 - over the cap before github.yaml; left for the lint owners
    """Lint files and directories (`-` is stdin) with the given settings (lint.config)."""
    from plumbing.lint.config import Settings
    from plumbing.lint.registry import all_rules

    settings = settings or Settings()
    _repo_cache.clear()
    _DICTS.clear()
    rules = all_rules()
    result = Result()
    lintset = LintSet()
    parsed: list[tuple[_File, list[Obj]]] = []
    repo_files = []
    for f, read_error, fs, is_patch in read_inputs(paths, stdin):
        result.files += 1
        if fs is not None and _is_repo_file(fs):  # config.py reads and reports these itself
            repo_files.append((f, fs))
            result.documents += 1
            continue
        if read_error:
            _emit(result, settings, rules, f, None, "file-read", 1, 1, read_error)
            continue
        try:
            nodes = compose_all(f.text)
        except YamlSyntaxError as exc:
            _emit(result, settings, rules, f, None, "yaml-syntax", exc.line, exc.column, str(exc))
            continue
        f.docs = [Document(None, node) for node in nodes]
        _suppressions(f)
        objs = []
        for i, doc in enumerate(f.docs):
            result.documents += 1
            kind, api = _head(doc.node)
            try:  # constructed even when skipped: a document PyYAML cannot build is an error
                doc.data = data = construct(doc.node)
            except YamlSyntaxError as exc:
                _emit(result, settings, rules, f, None, "yaml-syntax", exc.line, exc.column, str(exc))
                result.skipped += 1
                continue
            if (not is_patch and kind == "TriggerTemplate" and type(data) is dict
                    and type(api) is str and api.startswith(TRIGGERS_GROUP)):
                objs.extend(_templated(f, doc, data, i))
                continue
            if (is_patch or kind not in LINTED_KINDS or api is None
                    or not api.startswith(TEKTON_GROUP) or type(data) is not dict or _is_patch(data)):
                result.skipped += 1
                continue
            objs.append(Obj(f.display, doc, data, kind, api, i))
        lintset.objs.extend(objs)
        parsed.append((f, objs))

    by_kind: dict[str, list] = {}
    for r in rules.values():
        if r.check is None or not settings.enabled(r):
            continue
        for k in r.kinds:
            by_kind.setdefault(k, []).append(r)
    for f, objs in parsed:
        for obj in objs:
            version = obj.version
            for u in units(obj, lintset):
                for r in by_kind.get(u.kind, ()):
                    if r.versions and version not in r.versions:
                        continue
                    try:
                        hits = list(r.check(u))
                    except Exception as exc:  # noqa: BLE001 - a rule bug must not hide other findings
                        line, col = obj.doc.position(obj.base + u.path)
                        _emit(result, settings, rules, f, obj.index, "internal-error", line, col,
                              f"rule {r.id} failed on this document: {type(exc).__name__}: {exc}")
                        continue
                    for hit in hits:
                        line, col = obj.doc.position(obj.base + u.path + tuple(hit[0]))
                        _emit(result, settings, rules, f, obj.index, r.id, line, col, hit[1],
                              hit[2] if len(hit) > 2 else None)
    _DICTS.clear()
    for f, fs in repo_files:
        for finding in _repo_findings(f, fs):
            _emit(result, settings, rules, f, None, finding.rule, finding.line, finding.column,
                  finding.message)
    result.findings.sort(key=lambda x: (x.path, x.line, x.column, x.rule))
    return result


def _emit(result, settings, rules, f: _File, doc_index, rule_id, line, col, message, hint=None):
    off_line = f.disabled_lines.get(line)
    if off_line and (rule_id in off_line or "all" in off_line):
        return
    if doc_index is not None:
        off_doc = f.disabled_docs.get(doc_index)
        if off_doc and (rule_id in off_doc or "all" in off_doc):
            return
    r = rules.get(rule_id)
    if r is not None and not settings.enabled(r):
        return
    if r is None:
        severity = "error"
    elif hint and rule_id not in settings.overrides:
        severity = hint  # a rule may lower one finding's severity (e.g. stricter than Tekton)
    else:
        severity = settings.severity(r)
    result.findings.append(Finding(f.display, line, col, severity, rule_id, message))


TRIGGERS_GROUP = "triggers.tekton.dev/"


def _untemplate(data, pattern):
    """Triggers' own variables replaced by a plain word: Triggers substitutes `$(tt.params.x)`,
    `$(uid)` (and, in v1alpha1, `$(params.x)` for the template's params) before Tekton sees
    the object."""
    t = type(data)
    if t is str:
        return pattern.sub("tt-param", data) if "$(" in data else data
    if t is dict:
        return {k: _untemplate(v, pattern) for k, v in data.items()}
    if t is list:
        return [_untemplate(v, pattern) for v in data]
    return data


def _templated(f, doc, data, index) -> list:
    """Tekton objects inside a TriggerTemplate's resourcetemplates, linted in place."""
    out = []
    spec = data.get("spec")
    items = spec.get("resourcetemplates") if type(spec) is dict else None
    alts = [r"tt\.params\.[^()]*", "uid"]
    if str(data.get("apiVersion")).endswith("/v1alpha1") and type(spec) is dict:
        names = [p.get("name") for p in spec.get("params") or [] if type(p) is dict]
        alts += [r"params\." + re.escape(n) for n in names if type(n) is str and n]
    pattern = re.compile(r"\$\((?:" + "|".join(alts) + r")\)")
    for j, item in enumerate(items if type(items) is list else []):
        if type(item) is not dict:
            continue
        kind, api = item.get("kind"), item.get("apiVersion")
        if (type(kind) is str and kind in LINTED_KINDS and type(api) is str
                and api.startswith(TEKTON_GROUP)):
            out.append(Obj(f.display, doc, _untemplate(item, pattern), kind, api, index,
                           ("spec", "resourcetemplates", j)))
    return out


def _head(node) -> tuple:
    """(kind, apiVersion) of a document from its node, without constructing it."""
    kind = api = None
    if type(node) is MappingNode:
        for k, v in node.value:
            if type(v) is ScalarNode and type(k) is ScalarNode:
                if k.value == "kind":
                    kind = v.value
                elif k.value == "apiVersion":
                    api = v.value
    return kind, api


def _is_patch(data: dict) -> bool:
    """A strategic-merge patch: `$patch` directives anywhere near the top."""
    if "$patch" in data:
        return True
    spec = data.get("spec")
    return type(spec) is dict and "$patch" in spec


# --- the repository's own config files -------------------------------------------------------

def _plumbing_root(fs: str):
    """(root, path relative to it) for a file of a plumbing repository: plumbing.yaml beside a
    releases/ folder, releases/*.yaml, images/<name>/image.yaml."""
    from pathlib import Path  # only for files that look like config: keeps start-up cheap

    p = Path(fs).resolve()
    if p.name == "plumbing.yaml" and (p.parent / "releases").is_dir():
        return p.parent, "plumbing.yaml"
    if p.name == "github.yaml" and (p.parent / "plumbing.yaml").is_file() and (p.parent / "releases").is_dir():
        return p.parent, "github.yaml"
    if p.parent.name == "releases" and (p.parent.parent / "plumbing.yaml").is_file():
        return p.parent.parent, f"releases/{p.name}"
    if (p.name == "image.yaml" and p.parent.parent.name == "images"
            and (p.parent.parent.parent / "plumbing.yaml").is_file()):
        return p.parent.parent.parent, f"images/{p.parent.name}/image.yaml"
    if p.parent.name == "cronjobs" and (p.parent.parent / "plumbing.yaml").is_file() \
            and (p.parent.parent / "releases").is_dir():
        return p.parent.parent, f"cronjobs/{p.name}"
    return None


def _is_repo_file(fs: str) -> bool:
    if not fs.endswith(SUFFIXES):
        return False
    name = os.path.basename(fs)
    if name not in ("plumbing.yaml", "image.yaml", "github.yaml") and os.path.basename(os.path.dirname(
            os.path.abspath(fs))) not in ("releases", "cronjobs"):
        return False
    hit = _plumbing_root(fs)
    if hit is None:
        return False
    root, rel = hit
    if rel == "plumbing.yaml":
        # a plumbing.yaml is ours when it looks like an org config, not a Tekton object
        try:
            head = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        return "organisation:" in head
    return True


_repo_cache: dict = {}


def _repo_findings(f: _File, fs: str) -> list[Finding]:
    """Findings for one of the repository's config files, from the loaders the CLI and the
    Pulumi program use (plumbing.config, plumbing.ci_images, plumbing.cronjobs, plumbing.github_org), so the checks
    are the same ones; only the findings for this file are kept."""
    from pathlib import Path

    from plumbing.config import SCHEMA_DIR, check_repo, read_yaml, schema_findings

    root, rel = _plumbing_root(fs)
    if root not in _repo_cache:
        _repo_cache[root] = check_repo(root)
    repo, repo_findings = _repo_cache[root]
    out = None
    if rel.startswith("images/"):
        try:
            from plumbing.ci_images import check_ci_images

            if repo is not None:
                out = check_ci_images(root, repo.org)[1]
        except (ImportError, TypeError, AttributeError, KeyError):
            out = None
        if out is None:  # no usable org config: the schema alone
            doc, out = read_yaml(Path(fs), rel)
            if doc is not None and (SCHEMA_DIR / "image.yaml").is_file():
                out = schema_findings(doc, "image.yaml", rel, "image-config")
    elif rel.startswith("cronjobs/"):
        try:
            from plumbing.cronjobs import check_jobs

            out = check_jobs(root)[1]
        except (ImportError, TypeError, AttributeError, KeyError):
            doc, out = read_yaml(Path(fs), rel)
            if doc is not None and (SCHEMA_DIR / "cronjob.yaml").is_file():
                out = schema_findings(doc, "cronjob.yaml", rel, "cronjob-config")
    elif rel == "github.yaml":
        try:
            from plumbing.github_org import check_github

            out = check_github(root, repo and repo.org, repo and repo.projects)[1]
        except (ImportError, TypeError, AttributeError, KeyError):
            doc, out = read_yaml(Path(fs), rel)
            if doc is not None and (SCHEMA_DIR / "github.yaml").is_file():
                out = schema_findings(doc, "github.yaml", rel, "github-config")
    else:
        out = repo_findings
    return [Finding(f.display, x.line, x.column, x.severity, x.rule, x.message)
            for x in out if x.path == rel]
