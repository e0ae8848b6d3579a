"""Loading and checking the repository's config: plumbing.yaml and releases/<project>.yaml.

This is the single loader the release CLI, the linter and the Pulumi program share. Every
problem becomes a Finding naming file, line and column; `load_repo` raises ConfigError when
there is any, so nothing downstream ever sees a half-valid config. The returned config is the
effective one: every default filled in, so what is written beside a release is what ran.
"""

from __future__ import annotations

import copy
import os
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from plumbing.findings import ConfigError, Finding
from plumbing.org import Repo, Where, build_org, build_project
from plumbing.yamlpos import Document, YamlSyntaxError, load_one

ORG_FILE = "plumbing.yaml"
RELEASES_DIR = "releases"
SCHEMA_DIR = Path(__file__).parent / "schemas"

# Platforms ko and Tekton's base images can build for.
KNOWN_PLATFORMS = frozenset({
    "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/386",
    "linux/s390x", "linux/ppc64le", "linux/riscv64", "windows/amd64",
})
DEFAULT_PLATFORMS = ["linux/amd64", "linux/arm64", "linux/s390x", "linux/ppc64le"]
DEFAULT_TIMEOUTS = {"pipeline": "3h", "tests": "1h", "publish": "2h"}
RELEASE_FILE = "release.yaml"
DEFAULT_TEST_TIMEOUT = "1h"

_GO_DURATION = re.compile(r"(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)", re.ASCII)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\Z", re.ASCII)
_TAG = re.compile(r"[^@]+:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", re.ASCII)


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The plumbing repository: $PLUMBING_ROOT, or the nearest folder holding plumbing.yaml."""
    env = os.environ.get("PLUMBING_ROOT")
    if env and start is None:
        root = Path(env)
        if not (root / ORG_FILE).is_file():
            raise ConfigError(f"PLUMBING_ROOT={env}: no {ORG_FILE} there")
        return root.resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ORG_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {ORG_FILE} in {here} or any parent; run from the plumbing repository or set PLUMBING_ROOT"
    )


# --- reading and schema checks -------------------------------------------------------------

@cache
def _schema(name: str):
    import yamale  # imported here: only needed when a file is actually validated

    return yamale.make_schema(SCHEMA_DIR / name, parser="PyYAML")


def read_yaml(path: Path, display: str) -> tuple[Document | None, list[Finding]]:
    """Parse one YAML file; a syntax error becomes a finding instead of an exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Finding(display, 1, 1, "error", "config-read", f"cannot read: {exc}")]
    try:
        return load_one(text), []
    except YamlSyntaxError as exc:
        return None, [Finding(display, exc.line, exc.column, "error", "yaml-syntax", str(exc))]


def schema_findings(doc: Document, schema_name: str, display: str, rule: str) -> list[Finding]:
    """Validate `doc` against a yamale schema and map yamale's dotted paths to positions."""
    import yamale

    if not isinstance(doc.data, dict):
        return [Finding(display, 1, 1, "error", rule, "expected a mapping at the top level")]
    results = yamale.validate(_schema(schema_name), [(doc.data, display)], strict=True,
                              _raise_error=False)
    out = []
    for result in results:
        for err in result.errors:
            dotted, _, message = err.partition(": ")
            path = tuple(int(p) if p.isdigit() else p for p in dotted.split(".") if p)
            line, col = doc.position(path)
            field_name = dotted or "(top)"
            out.append(Finding(display, line, col, "error", rule, f"{field_name}: {message}"))
    return out


def _walk_strings(data, path=()):
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _walk_strings(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk_strings(v, path + (i,))


def unsafe_string_findings(doc: Document, display: str) -> list[Finding]:
    """Strings Tekton would rewrite or that no field of ours should hold."""
    out = []
    for path, value in _walk_strings(doc.data):
        dotted = ".".join(map(str, path))
        problem = unsafe_text(value)
        if problem:
            line, col = doc.position(path)
            out.append(Finding(display, line, col, "error", "config-unsafe-value", f"{dotted}: {problem}"))
    return out


def unsafe_text(value: str) -> str | None:
    """Why `value` may not reach a Tekton document, or None. Shared with CLI flag checks."""
    if "$(" in value:
        return "contains '$(', which Tekton would substitute at run time"
    if any(ord(c) < 32 and c not in "\n\t" for c in value) or "\x7f" in value:
        return "contains a control character"
    return None


# --- defaults and cross-field checks -------------------------------------------------------

def effective_project(raw: dict, org: dict) -> dict:
    """The project with every default filled in."""
    p = copy.deepcopy(raw)
    org_defaults = org.get("defaults") or {}  # the raw plumbing.yaml document
    p.setdefault("description", "")
    p.setdefault("default_branch", "main")
    ko = p.setdefault("ko", {})
    ko.setdefault("config", ["config/"])
    ko.setdefault("naming", "preserve-import-paths")
    plats = p.setdefault("platforms", {})
    plats.setdefault("build", list(org_defaults.get("platforms") or DEFAULT_PLATFORMS))
    plats.setdefault("publish", list(plats["build"]))
    p.setdefault("extra_files", [])
    tests = p.setdefault("tests", {})
    tests.setdefault("nightly", True)
    tests.setdefault("full", True)
    nightly = p.setdefault("nightly", {})
    nightly.setdefault("enabled", "schedule" in nightly)
    nightly.setdefault("schedule", None)
    timeouts = p.setdefault("timeouts", {})
    for key, value in DEFAULT_TIMEOUTS.items():
        timeouts.setdefault(key, org_defaults.get("timeout") if key == "pipeline" and org_defaults.get("timeout") else value)
    test = p.setdefault("post_release_test", {})
    test.setdefault("enabled", True)
    test.setdefault("install", [RELEASE_FILE])
    for need in test.setdefault("needs", []):
        need.setdefault("install", [RELEASE_FILE])
    ready = test.setdefault("ready", {})
    ready.setdefault("deployments", "all")
    ready.setdefault("crds", True)
    test.setdefault("smoke", [])
    test.setdefault("command", None)
    test.setdefault("timeout", DEFAULT_TEST_TIMEOUT)
    return p


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string such as '1h30m', or None when it does not parse."""
    if not isinstance(text, str) or not _GO_DURATION.fullmatch(text):
        return None
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", text))


def image_pin_problem(ref: str) -> str | None:
    """Why an image reference is not pinned, or None when it is (by digest, or a non-latest tag)."""
    if _DIGEST.search(ref):
        return None
    match = _TAG.fullmatch(ref.rsplit("/", 1)[-1] if "/" in ref else ref)
    if not match:
        return "is not pinned by tag or digest"
    if match.group(1).startswith("latest"):
        return f"uses the moving tag {match.group(1)!r}; pin a version or a digest"
    return None


def cron_problem(expr: str) -> str | None:
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expr, datetime(2026, 1, 1, tzinfo=UTC))
    except (CronSimError, ValueError, TypeError) as exc:
        return f"invalid cron expression {expr!r}: {exc}"
    return None


def cron_minutes(expr: str, days: int = 8, limit: int = 5000) -> set[datetime]:
    """The firing times of `expr` over `days` days (a week and a day, so weekly jobs count)."""
    from cronsim import CronSim

    start = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    end = start + timedelta(days=days)
    out = set()
    for when in CronSim(expr, start - timedelta(minutes=1)):
        if when >= end or len(out) >= limit:
            break
        out.add(when)
    return out


def _project_findings(p: dict, doc: Document, display: str, stem: str) -> list[Finding]:
    out = []

    def add(path, message, rule="release-config"):
        line, col = doc.position(path)
        out.append(Finding(display, line, col, "error", rule, message))

    if p["name"] != stem:
        add(("name",), f"name: {p['name']!r} must match the file name {stem!r}")
    for kind in ("build", "publish"):
        for i, plat in enumerate(p["platforms"][kind]):
            if plat not in KNOWN_PLATFORMS:
                add(("platforms", kind, i), f"platforms.{kind}.{i}: unknown platform {plat!r}; "
                    f"known: {', '.join(sorted(KNOWN_PLATFORMS))}")
    missing = [x for x in p["platforms"]["build"] if x not in p["platforms"]["publish"]]
    if missing:
        add(("platforms", "publish"), f"platforms.publish: misses built platforms {', '.join(missing)}")
    if len(set(p["images"])) != len(p["images"]):
        add(("images",), "images: lists an image twice")
    names = [f["name"] for f in p["extra_files"]]
    for reserved in ("release.yaml", "release.notags.yaml", "logs.txt"):
        if reserved in names:
            add(("extra_files",), f"extra_files: {reserved} is written by the release itself")
    if len(set(names)) != len(names):
        add(("extra_files",), "extra_files: a file name appears twice")
    for path, message in _timeout_problems(p["timeouts"]):
        add(path, message)
    nightly = p["nightly"]
    if nightly["enabled"] and not nightly["schedule"]:
        add(("nightly",), "nightly: enabled without a schedule")
    if nightly["schedule"]:
        problem = cron_problem(nightly["schedule"])
        if problem:
            add(("nightly", "schedule"), f"nightly.schedule: {problem}")
    _test_findings(p, add)
    return out


def _test_findings(p: dict, add) -> None:
    """post_release_test: files the release publishes, a duration, paths inside the repository."""
    test, base = p["post_release_test"], ("post_release_test",)
    published = [RELEASE_FILE, *(f["name"] for f in p["extra_files"])]
    for i, name in enumerate(test["install"]):
        if name not in published:
            add((*base, "install", i), f"post_release_test.install.{i}: {name!r} is not a file this release "
                f"publishes ({', '.join(published)})")
    if len(set(test["install"])) != len(test["install"]):
        add((*base, "install"), "post_release_test.install: a file appears twice")
    if parse_go_duration(test["timeout"]) is None:
        add((*base, "timeout"), f"post_release_test.timeout: {test['timeout']!r} is not a duration such as 45m")
    for i, path in enumerate(test["smoke"]):
        if ".." in path.split("/"):
            add((*base, "smoke", i), f"post_release_test.smoke.{i}: {path!r} leaves the repository")
    for i, need in enumerate(test["needs"]):
        if need["project"] == p["name"]:
            add((*base, "needs", i, "project"), f"post_release_test.needs.{i}: a project cannot need itself")


def _test_dependency_findings(projects: dict) -> list[Finding]:
    """Every needed project exists, publishes the files named, and needs form no cycle."""
    out = []
    for project in projects.values():
        for i, need in enumerate(project.post_release_test.needs):
            path = ("post_release_test", "needs", i)
            other = projects.get(need.project)
            if other is None:
                out.append(project.where.finding((*path, "project"), "release-config",
                                                 f"post_release_test.needs.{i}: unknown project {need.project!r}"))
                continue
            published = [RELEASE_FILE, *(f.name for f in other.extra_files)]
            for name_ in need.install:
                if name_ not in published:
                    out.append(project.where.finding((*path, "install"), "release-config",
                                                     f"post_release_test.needs.{i}: {need.project} publishes no "
                                                     f"{name_!r} ({', '.join(published)})"))
    from plumbing.posttest.order import DependencyCycle, install_order

    for name, project in projects.items():
        try:
            install_order(projects, name)
        except DependencyCycle as exc:
            out.append(project.where.finding(("post_release_test", "needs"), "release-config",
                                             f"post_release_test.needs: {exc}"))
        except KeyError:
            pass  # an unknown project, reported above
    return out


def _timeout_problems(timeouts: dict) -> list[tuple[tuple, str]]:
    out = [(("timeouts", key), f"timeouts.{key}: {value!r} is not a duration such as 1h30m")
           for key, value in timeouts.items() if parse_go_duration(value) is None]
    if not out:
        total = parse_go_duration(timeouts["pipeline"])
        out += [(("timeouts", key), f"timeouts.{key}: longer than timeouts.pipeline")
                for key in ("tests", "publish") if total and parse_go_duration(timeouts[key]) > total]
    return out


def _org_findings(org: dict, doc: Document, display: str) -> list[Finding]:
    out = []
    for tool, ref in org.get("tool_images", {}).items():
        problem = image_pin_problem(ref)
        if problem:
            line, col = doc.position(("tool_images", tool))
            out.append(Finding(display, line, col, "error", "config-unpinned-image",
                               f"tool_images.{tool}: {ref} {problem}"))
    for required in ("git", "go", "ko", "plumbing"):
        if required not in org.get("tool_images", {}):
            line, col = doc.position(("tool_images",))
            out.append(Finding(display, line, col, "error", "plumbing-config",
                               f"tool_images: missing {required!r}, which the release tasks run"))
    buckets = org.get("buckets", {})
    if buckets.get("nightly") and buckets.get("nightly") == buckets.get("release"):
        line, col = doc.position(("buckets", "nightly"))
        out.append(Finding(display, line, col, "error", "plumbing-config",
                           "buckets: nightly and release must be different buckets"))
    return out


def check_repo(root: Path) -> tuple[Repo | None, list[Finding]]:
    """Load and check everything; returns the repo (None if unusable) and all findings."""
    findings: list[Finding] = []
    org_path = root / ORG_FILE
    org_doc, errs = read_yaml(org_path, ORG_FILE)
    findings += errs
    org = None
    if org_doc is not None:
        errs = schema_findings(org_doc, "plumbing.yaml", ORG_FILE, "plumbing-config")
        errs += unsafe_string_findings(org_doc, ORG_FILE)
        findings += errs
        if not errs:
            org = org_doc.data
            findings += _org_findings(org, org_doc, ORG_FILE)

    projects: dict = {}
    seen: dict[str, str] = {}
    schedules: list[tuple[str, str, Document, str]] = []
    for path in sorted((root / RELEASES_DIR).glob("*.y*ml")):
        display = f"{RELEASES_DIR}/{path.name}"
        doc, errs = read_yaml(path, display)
        findings += errs
        if doc is None:
            continue
        errs = schema_findings(doc, "release.yaml", display, "release-config")
        errs += unsafe_string_findings(doc, display)
        findings += errs
        if errs or org is None:
            continue
        p = effective_project(doc.data, org)
        findings += _project_findings(p, doc, display, path.stem.removesuffix(".yaml"))
        if p["name"] in seen:
            line, col = doc.position(("name",))
            findings.append(Finding(display, line, col, "error", "release-config",
                                    f"name: {p['name']!r} is already used by {seen[p['name']]}"))
            continue
        seen[p["name"]] = display
        projects[p["name"]] = build_project(p, Where(display, doc))
        if p["nightly"]["enabled"] and p["nightly"]["schedule"] and not cron_problem(p["nightly"]["schedule"]):
            schedules.append((p["name"], p["nightly"]["schedule"], doc, display))

    findings += _schedule_clashes(schedules)
    findings += _test_dependency_findings(projects)
    if org is None:
        return None, findings
    built = build_org(org, Where(ORG_FILE, org_doc))
    findings += _isolation_findings(built, projects)
    return Repo(root=root, org=built, projects=projects), findings


_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _isolation_findings(org, projects: dict) -> list[Finding]:
    """Each pattern names {project} and {mode} (so no two projects or modes share a namespace or
    an account) and gives every project a valid Kubernetes name."""
    from string import Formatter

    from plumbing.org import ISOLATION_FIELDS, MODES

    out = []
    for what, pattern in org.isolation.items():
        try:
            fields = {f for _, f, _, _ in Formatter().parse(pattern) if f is not None}
        except ValueError as exc:
            fields = {f"unparsable: {exc}"}
        if fields != set(ISOLATION_FIELDS):
            out.append(org.where.finding(("isolation", what), "plumbing-config",
                                         f"isolation.{what}: {pattern!r} must use exactly {{project}} and {{mode}}"))
    if out:
        return out
    for name, project in sorted(projects.items()):
        for mode in MODES:
            for what, limit in (("namespace", 63), ("service_account", 63)):
                derived = org.isolated_name(what, name, mode)
                if not _K8S_NAME.match(derived) or len(derived) > limit:
                    out.append(project.where.finding(("name",), "release-config",
                                                     f"name: gives the {what} {derived!r} (isolation.{what}), "
                                                     f"not a Kubernetes name of at most {limit} characters"))
    return out


def _schedule_clashes(schedules) -> list[Finding]:
    """Two nightlies starting in the same minute compete for the same nodes and registry."""
    out = []
    fired = [(name, expr, doc, display, cron_minutes(expr)) for name, expr, doc, display in schedules]
    for i, (_name, expr, doc, display, minutes) in enumerate(fired):
        for other, other_expr, _, other_display, other_minutes in fired[:i]:
            common = minutes & other_minutes
            if common:
                first = min(common).strftime("%a %H:%M")
                line, col = doc.position(("nightly", "schedule"))
                out.append(Finding(display, line, col, "error", "release-config",
                                   f"nightly.schedule: {expr!r} starts in the same minute as "
                                   f"{other}'s {other_expr!r} ({other_display}), e.g. {first} UTC"))
    return out


def load_repo(root: str | os.PathLike | None = None) -> Repo:
    """The checked, effective config; ConfigError (exit 2) naming every problem otherwise.

    Checking is a pure function of the files' bytes (and this code's), so a clean verdict is
    remembered under their hash: the next run with the same files skips yamale and the
    cross-field checks, which are a good part of a `release nightly`'s time.
    """
    root_path = Path(root).resolve() if root else find_root()
    key = _verdict_key(root_path)
    marker = _verdict_dir() / key if key else None
    if marker is not None and marker.exists():
        repo = _load_checked_before(root_path)
        if repo is not None:
            return repo
    repo, findings = check_repo(root_path)
    errors = [f for f in findings if f.severity == "error"]
    if errors or repo is None:
        first = errors[0].format() if errors else f"{ORG_FILE}: unusable"
        more = f" (and {len(errors) - 1} more; run `release check`)" if len(errors) > 1 else ""
        raise ConfigError(first + more, findings=errors)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # no cache where the home folder is read-only; the next run checks again
    return repo


def _config_files(root: Path) -> list[Path]:
    return [root / ORG_FILE, *sorted((root / RELEASES_DIR).glob("*.y*ml"))]


def _verdict_dir() -> Path:
    from plumbing import __version__

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "plumbing" / f"config-ok-{__version__}"


def _verdict_key(root: Path) -> str | None:
    """sha256 over the config files, the schemas, the modules that check them and the versions
    of the libraries that judged them; None if one is unreadable."""
    import hashlib

    digest = hashlib.sha256()
    digest.update(_library_identity().encode())
    try:
        for path in (Path(__file__), Path(__file__).with_name("org.py"), *sorted(SCHEMA_DIR.glob("*.yaml")),
                     *_config_files(root)):
            data = path.read_bytes()
            digest.update(f"{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def _library_identity() -> str:
    """Which yamale, PyYAML and cronsim judged the files: each one's installed code (path, size,
    modification time), found without importing it or reading package metadata (both cost more
    than the check this cache saves). Installing another version changes its files."""
    import importlib.util

    parts = []
    for library in ("yamale", "yaml", "cronsim"):
        try:
            spec = importlib.util.find_spec(library)
            st = os.stat(spec.origin)
            parts.append(f"{library}:{spec.origin}:{st.st_size}:{st.st_mtime_ns}")
        except (ImportError, AttributeError, TypeError, OSError):
            parts.append(f"{library}:missing")
    return "\0".join(parts) + "\0"


def _load_checked_before(root: Path) -> Repo | None:
    """The effective config of files that passed every check before (same bytes)."""
    paths = _config_files(root)
    displays = [ORG_FILE, *(f"{RELEASES_DIR}/{path.name}" for path in paths[1:])]
    docs = [read_yaml(path, display)[0] for path, display in zip(paths, displays, strict=True)]
    if any(doc is None or not isinstance(doc.data, dict) for doc in docs):
        return None
    org = docs[0].data
    projects = {doc.data["name"]: build_project(effective_project(doc.data, org), Where(display, doc))
                for doc, display in zip(docs[1:], displays[1:], strict=True)}
    return Repo(root=root, org=build_org(org, Where(ORG_FILE, docs[0])), projects=projects)
