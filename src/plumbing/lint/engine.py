"""Files in, findings out. Each file is parsed once; positions are computed only for findings."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

from yaml import MappingNode, ScalarNode

from plumbing.findings import Finding, PlumbingError
from plumbing.lint.model import (
    LINTED_KINDS,
    TEKTON_GROUP,
    TEKTON_KINDS,
    TRIGGERS_GROUP,
    TRIGGERS_KINDS,
    LintSet,
    Obj,
    units,
)
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
    kustomized: bool = False  # a kustomization's resource: an overlay may complete its objects


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


def _kustomize_patches(files: list[tuple[str, str | None]], explicit: set[str]) -> tuple[set, set]:
    """Files named as patches (patches, patchesStrategicMerge, patchesJson6902) by a
    kustomization in any linted folder: partial objects, skipped like other non-objects; and
    files named as its resources: complete objects, but an overlay may still add to them."""
    patches: set[str] = set()
    resources: set[str] = set()
    known = {f for _, f in files if f}  # every *.yaml/*.yml of a walked folder is in here
    seen = set()
    for folder in {os.path.dirname(f) for f in known}:
        for name in KUSTOMIZATIONS:
            k = os.path.join(folder, name)
            # a walked folder's kustomization.yaml is already listed: stat only the others
            if k in seen or (k not in known and name != "Kustomization" and folder not in explicit):
                continue
            if not os.path.isfile(k):
                continue
            seen.add(k)
            listed, bases = _patch_entries(k)
            patches.update(os.path.normpath(os.path.join(folder, e)) for e in listed)
            resources.update(os.path.normpath(os.path.join(folder, e)) for e in bases)
    return patches, resources


def _patch_entries(path: str) -> tuple[list[str], list[str]]:
    """The patch and resource file names a kustomization lists (none when it cannot be read)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # noqa: BLE001 - a broken kustomization is linted elsewhere
        return [], []
    if type(data) is not dict:
        return [], []
    entries = []
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        items = data.get(key)
        for item in items if type(items) is list else []:
            if type(item) is str:
                entries.append(item)
            elif type(item) is dict and type(item.get("path")) is str:
                entries.append(item["path"])
    resources = data.get("resources")
    return entries, [r for r in resources if type(r) is str] if type(resources) is list else []


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


def _decode(raw):
    """(text, None) or ("", error) for bytes read from a file or stdin."""
    if type(raw) is str:
        return raw, None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"cannot read: {exc}"


def read_inputs(paths: list[str], stdin=None):
    """(file, read error or None, filesystem path or None, is a kustomize patch) per input.
    stdin is read as bytes and decoded like a file, so bad bytes are a finding either way."""
    inputs = expand(paths)
    explicit = {os.path.dirname(p) for p in paths if p != "-" and not os.path.isdir(p)}
    patches, resources = _kustomize_patches(inputs, explicit)
    files = []
    for display, fs in inputs:
        if fs is None:
            stream = stdin if stdin is not None else sys.stdin.buffer
            text, error = _decode(stream.read())
        else:
            try:
                with open(fs, "rb") as fh:
                    text, error = _decode(fh.read())
            except OSError as exc:
                text, error = "", f"cannot read: {exc}"
        norm = os.path.normpath(fs) if fs else None
        files.append((_File(display, text, kustomized=norm in resources), error, fs, norm in patches))
    return files


class LintRun:
    """One run of the linter: its settings and rules, what it has read, what it found, and the
    caches it needs. Everything a run builds lives here, none of it in module globals."""

    def __init__(self, settings, rules: dict):
        self.settings, self.rules = settings, rules
        self.result = Result()
        self.lintset = LintSet(flags=settings.flags)
        self.parsed: list[tuple[_File, list[Obj]]] = []
        self.repo_files: list[tuple[_File, str]] = []
        self.repo_cache: dict = {}  # repository root -> check_repo(root)

    def emit(self, f: _File, doc_index, rule_id, line, col, message, hint=None) -> None:
        _emit(self.result, self.settings, self.rules, f, doc_index, rule_id, line, col, message, hint)

    # --- reading ----------------------------------------------------------------------------

    def read(self, f: _File, read_error, fs, is_patch: bool) -> None:
        """Parse one input into objects, or hand it to the repository config checks."""
        self.result.files += 1
        if fs is not None and _is_repo_file(fs):  # config.py reads and reports these itself
            self.repo_files.append((f, fs))
            self.result.documents += 1
            return
        if read_error:
            self.emit(f, None, "file-read", 0, 0, read_error)  # the whole file: no position
            return
        try:
            nodes = compose_all(f.text)
        except YamlSyntaxError as exc:
            self.emit(f, None, "yaml-syntax", exc.line, exc.column, str(exc))
            return
        f.docs = [Document(None, node) for node in nodes]
        _suppressions(f)
        objs = []
        for i, doc in enumerate(f.docs):
            self.result.documents += 1
            objs.extend(self._objects(f, doc, i, is_patch))
        self.lintset.objs.extend(objs)
        self.parsed.append((f, objs))

    def _objects(self, f: _File, doc, i: int, is_patch: bool) -> list[Obj]:
        """The Tekton objects of one document: itself, those inside a TriggerTemplate, or none."""
        kind, api = _head(doc.node)
        try:  # constructed even when skipped: a document PyYAML cannot build is an error
            doc.data = data = construct(doc.node)
        except YamlSyntaxError as exc:
            self.emit(f, None, "yaml-syntax", exc.line, exc.column, str(exc))
            self.result.skipped += 1
            return []
        if api is None and not is_patch and kind in TEKTON_KINDS and type(data) is dict and not _is_patch(data):
            line, col = doc.position(("kind",))
            self.emit(f, i, "api-version-missing", line, col,
                      f"kind {kind} without apiVersion: Kubernetes rejects the object")
            self.result.skipped += 1
            return []
        if (not is_patch and kind in TRIGGERS_KINDS and type(data) is dict
                and type(api) is str and api.startswith(TRIGGERS_GROUP) and not _is_patch(data)):
            # the Triggers object itself, and the Tekton objects a TriggerTemplate makes
            obj = Obj(f.display, doc, data, kind, api, i, text=f.text, kustomized=f.kustomized)
            return [obj, *_templated(f, doc, data, i)] if kind == "TriggerTemplate" else [obj]
        if (is_patch or kind not in LINTED_KINDS or api is None
                or not api.startswith(TEKTON_GROUP) or type(data) is not dict or _is_patch(data)):
            self.result.skipped += 1
            return []
        return [Obj(f.display, doc, data, kind, api, i, text=f.text)]

    # --- checking ---------------------------------------------------------------------------

    def check(self) -> None:
        """Every enabled rule on every unit of every object."""
        by_kind: dict[str, list] = {}
        for r in self.rules.values():
            if r.check is None or not self.settings.enabled(r):
                continue
            for k in r.kinds:
                by_kind.setdefault(k, []).append(r)
        for f, objs in self.parsed:
            for obj in objs:
                for u in units(obj, self.lintset):
                    self._check_unit(f, obj, u, by_kind.get(u.kind, ()))

    def _check_unit(self, f: _File, obj: Obj, u, rules) -> None:
        version = obj.version
        for r in rules:
            if r.versions and version not in r.versions:
                continue
            try:
                hits = list(r.check(u))
            except Exception as exc:  # noqa: BLE001 - a rule bug must not hide other findings
                line, col = obj.doc.position(obj.base + u.path)
                self.emit(f, obj.index, "internal-error", line, col,
                          f"rule {r.id} failed on this document: {type(exc).__name__}: {exc}")
                continue
            for hit in hits:  # (path, message[, severity[, (line, col) when more exact than path]])
                exact = hit[3] if len(hit) > 3 else None
                line, col = exact or obj.doc.position(obj.base + u.path + tuple(hit[0]))
                self.emit(f, obj.index, r.id, line, col, hit[1], hit[2] if len(hit) > 2 else None)

    def check_repo_files(self) -> None:
        for f, fs in self.repo_files:
            for finding in _repo_findings(f, fs, self.repo_cache):
                self.emit(f, None, finding.rule, finding.line, finding.column, finding.message)


def lint_paths(paths: list[str], settings=None, stdin=None) -> Result:
    """Lint files and directories (`-` is stdin) with the given settings (lint.config)."""
    from plumbing.lint.config import Settings
    from plumbing.lint.registry import all_rules

    run = LintRun(settings or Settings(), all_rules())
    for f, read_error, fs, is_patch in read_inputs(paths, stdin):
        run.read(f, read_error, fs, is_patch)
    run.check()
    run.check_repo_files()
    run.result.findings.sort(key=lambda x: (x.path, x.line, x.column, x.rule))
    return run.result


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


def _repo_findings(f: _File, fs: str, cache: dict) -> list[Finding]:
    """Findings for one of the repository's config files, from the loaders the CLI and the
    Pulumi program use (plumbing.config, plumbing.ci_images, plumbing.cronjobs, plumbing.github_org), so the checks
    are the same ones; only the findings for this file are kept."""
    from pathlib import Path

    from plumbing.config import SCHEMA_DIR, check_repo, read_yaml, schema_findings

    root, rel = _plumbing_root(fs)
    if root not in cache:
        cache[root] = check_repo(root)
    repo, repo_findings = cache[root]
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
