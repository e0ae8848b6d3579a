"""Loading github.yaml: the GitHub organisation as code (teams, members, repositories, labels,
branch protection), as frozen dataclasses.

Checked by schemas/github.yaml plus the cross-field rules here: every team a member or a
repository names exists, every member is in a team, no label twice, every protection names a
declared repository, and every released project (releases/*.yaml) and this repository are
declared. `plumbing lint` reports the findings; the Pulumi program's GitHubOrg component
declares the resources from `load_github`. No Pulumi import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from plumbing.config import read_yaml, schema_findings
from plumbing.findings import ConfigError, Finding

GITHUB_FILE = "github.yaml"
RULE = "github-config"
# The commit status pipelines/pr-checks.yaml.j2 reports is "<organisation>/<PR_CHECK_NAME>", on
# pull requests to this repository only (triggers/pr-checks.yaml filters on it).
PR_CHECK_NAME = "plumbing-pr-checks"
# The labels the release notes sort pull requests by: every released repository needs them.
RELEASE_NOTE_LABELS = ("kind/feature", "kind/bug", "kind/deprecation", "kind/api-change", "kind/documentation",
                       "kind/misc", "release-note-none")
# Permissions that let a team push to a repository.
PUSH_PERMISSIONS = ("push", "maintain", "admin")
_GITHUB_URL = re.compile(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", re.ASCII)

REPOSITORY_DEFAULTS = {"visibility": "public", "default_branch": "main", "merge": ["squash", "rebase"],
                       "delete_branch_on_merge": True}
PROTECTION_DEFAULTS = {"dismiss_stale_reviews": True, "require_code_owner_reviews": False, "required_checks": [],
                       "strict": True, "enforce_admins": True, "allow_force_pushes": False, "allow_deletions": False}


@dataclass(frozen=True)
class Label:
    name: str
    color: str
    description: str


@dataclass(frozen=True)
class Team:
    slug: str
    description: str
    privacy: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Repository:
    name: str
    description: str
    visibility: str
    default_branch: str
    merge: tuple[str, ...]
    delete_branch_on_merge: bool
    teams: tuple[tuple[str, str], ...]     # (team slug, permission)
    labels: tuple[Label, ...]              # the organisation's, then its own


@dataclass(frozen=True)
class Protection:
    repository: str
    pattern: str
    required_reviews: int
    dismiss_stale_reviews: bool
    require_code_owner_reviews: bool
    required_checks: tuple[str, ...]
    strict: bool
    enforce_admins: bool
    allow_force_pushes: bool
    allow_deletions: bool


@dataclass(frozen=True)
class GitHubOrg:
    organisation: str
    members: tuple[str, ...]
    teams: tuple[Team, ...]
    repositories: tuple[Repository, ...]
    protections: tuple[Protection, ...]

    def repository(self, name: str) -> Repository:
        return next(r for r in self.repositories if r.name == name)


def this_repository(org) -> str | None:
    """owner/name of this repository (plumbing.yaml notify.github_repository)."""
    return org.notify.github_repository


def pr_check_context(organisation: str) -> str:
    """The exact commit status context the PR pipeline reports."""
    return f"{organisation}/{PR_CHECK_NAME}"


def team_slug(name: str) -> str:
    """The slug GitHub derives from a team name (what memberships and team access refer to)."""
    return "".join(c if c.isalnum() else "-" for c in name.lower())


def released_repositories(repo) -> list[tuple[str, str, str]]:
    """(repository name, default branch, source file) of every released project in the
    organisation, from releases/ alone: what the infra policies hold the declared org to."""
    out = []
    for name, project in sorted(repo.projects.items()):
        repository = repository_name(project.repository, repo.org.organisation)
        if repository:
            out.append((repository, project.default_branch, f"releases/{name}.yaml"))
    return out


def pr_check_target(repo) -> tuple[str, str] | None:
    """(repository, status context) of the PR check: this repository's pull requests only."""
    this = this_repository(repo.org)
    if not this or "/" not in this:
        return None
    return this.split("/", 1)[1], pr_check_context(repo.org.organisation)


def repository_name(url: str, organisation: str) -> str | None:
    """https://github.com/<organisation>/<name> -> name; None for anything else."""
    match = _GITHUB_URL.fullmatch(url or "")
    if not match or match.group(1).lower() != organisation.lower():
        return None
    return match.group(2)


class _Checker:
    """Cross-field checks over one schema-valid github.yaml; findings point at the field."""

    def __init__(self, doc, display: str):
        self.doc, self.display, self.data = doc, display, doc.data
        self.findings: list[Finding] = []

    def add(self, path: tuple, message: str) -> None:
        line, col = self.doc.position(path)
        self.findings.append(Finding(self.display, line, col, "error", RULE, message))

    def members(self) -> None:
        teams = self.data["teams"]
        seen: dict[str, str] = {}
        for login, in_teams in self.data["members"].items():
            if login.lower() in seen:
                self.add(("members", login), f"members.{login}: the same login as {seen[login.lower()]} "
                         "(GitHub logins are case-insensitive)")
            seen[login.lower()] = login
            if not in_teams:
                self.add(("members", login), f"members.{login}: in no team; every member is in at least one")
            for i, slug in enumerate(in_teams):
                if slug not in teams:
                    self.add(("members", login, i), f"members.{login}: unknown team {slug!r}; "
                             f"teams: {', '.join(sorted(teams))}")
            if len(set(in_teams)) != len(in_teams):
                self.add(("members", login), f"members.{login}: lists a team twice")

    def labels(self, path: tuple, labels: list, inherited: dict[str, tuple]) -> None:
        seen = dict(inherited)
        for i, label in enumerate(labels):
            key = label["name"].lower()  # GitHub label names are case-insensitive
            if key in seen:
                where = ".".join(map(str, seen[key]))
                self.add(path + (i, "name"), f"{'.'.join(map(str, path))}.{i}.name: duplicate label "
                         f"{label['name']!r} (also at {where})")
            else:
                seen[key] = path + (i,)

    def repositories(self) -> None:
        teams = self.data["teams"]
        org_labels = {label["name"].lower(): ("labels", i) for i, label in enumerate(self.data["labels"])}
        for name, spec in self.data["repositories"].items():
            for slug in (spec.get("teams") or {}):
                if slug not in teams:
                    self.add(("repositories", name, "teams", slug), f"repositories.{name}.teams: unknown team "
                             f"{slug!r}; teams: {', '.join(sorted(teams))}")
            self.labels(("repositories", name, "labels"), spec.get("labels") or [], org_labels)

    def protections(self) -> None:
        repos = self.data["repositories"]
        seen: dict[tuple, int] = {}
        for i, rule in enumerate(self.data["protections"]):
            for j, repo in enumerate(rule["repositories"]):
                if repo not in repos:
                    self.add(("protections", i, "repositories", j), f"protections.{i}.repositories: {repo!r} is not "
                             "declared under repositories")
                for pattern in rule["branches"]:
                    if (repo, pattern) in seen:
                        self.add(("protections", i, "branches"), f"protections.{i}: {repo} {pattern!r} is already "
                                 f"protected by protections.{seen[repo, pattern]}")
                    seen.setdefault((repo, pattern), i)

    def released(self, org, projects: dict | None) -> None:
        """Every released project's repository and this one are declared, on the same default branch."""
        organisation = self.data["organisation"]
        if org is not None and org.organisation != organisation:
            self.add(("organisation",), f"organisation: {organisation!r} differs from plumbing.yaml's "
                     f"{org.organisation!r}")
            return
        repos = self.data["repositories"]
        defaults = {**REPOSITORY_DEFAULTS, **(self.data.get("defaults") or {})}
        wanted: list[tuple[str, str, str | None]] = []
        for name, project in sorted((projects or {}).items()):
            wanted.append((project.repository, f"releases/{name}.yaml", project.default_branch))
        this = this_repository(org) if org is not None else None
        if this:
            wanted.append((f"https://github.com/{this}", "plumbing.yaml notify.github_repository (this repository)", None))
        for url, source, branch in wanted:
            repo = repository_name(url, organisation)
            if repo is None:
                self.add(("repositories",), f"repositories: {source} names {url!r}, outside organisation {organisation}")
            elif repo not in repos:
                self.add(("repositories",), f"repositories: {repo!r} is missing ({source} releases from it)")
            elif branch and (repos[repo].get("default_branch") or defaults["default_branch"]) != branch:
                self.add(("repositories", repo), f"repositories.{repo}: default branch differs from {source}'s "
                         f"default_branch {branch!r}")


def _model(data: dict) -> GitHubOrg:
    defaults = {**REPOSITORY_DEFAULTS, **(data.get("defaults") or {})}
    org_labels = tuple(Label(x["name"], x["color"].lower(), x["description"]) for x in data["labels"])
    teams = tuple(Team(slug, spec["description"], spec.get("privacy", "closed"),
                       tuple(sorted(login for login, ts in data["members"].items() if slug in ts)))
                  for slug, spec in sorted(data["teams"].items()))
    repos = []
    for name, spec in sorted(data["repositories"].items()):
        s = {**defaults, **spec}
        repos.append(Repository(
            name=name, description=s.get("description", ""), visibility=s["visibility"],
            default_branch=s["default_branch"], merge=tuple(s["merge"]), delete_branch_on_merge=s["delete_branch_on_merge"],
            teams=tuple(sorted((spec.get("teams") or {}).items())),
            labels=org_labels + tuple(Label(x["name"], x["color"].lower(), x["description"]) for x in spec.get("labels") or [])))
    protections = []
    for rule in data["protections"]:
        r = {**PROTECTION_DEFAULTS, **rule}
        for repo in rule["repositories"]:
            for pattern in rule["branches"]:
                protections.append(Protection(
                    repository=repo, pattern=pattern, required_reviews=r["required_reviews"],
                    dismiss_stale_reviews=r["dismiss_stale_reviews"], require_code_owner_reviews=r["require_code_owner_reviews"],
                    required_checks=tuple(r["required_checks"]), strict=r["strict"], enforce_admins=r["enforce_admins"],
                    allow_force_pushes=r["allow_force_pushes"], allow_deletions=r["allow_deletions"]))
    return GitHubOrg(organisation=data["organisation"], members=tuple(sorted(data["members"])), teams=teams,
                     repositories=tuple(repos), protections=tuple(sorted(protections, key=lambda p: (p.repository, p.pattern))))


def check_github(root: Path, org: dict | None = None, projects: dict | None = None
                 ) -> tuple[GitHubOrg | None, list[Finding]]:
    """github.yaml at `root`: the model (None when absent or invalid) and every finding.
    `org` (plumbing.yaml) and `projects` (releases/) enable the cross-file checks."""
    path = Path(root) / GITHUB_FILE
    if not path.is_file():
        return None, []
    doc, findings = read_yaml(path, GITHUB_FILE)
    if doc is None:
        return None, findings
    findings = schema_findings(doc, "github.yaml", GITHUB_FILE, RULE)
    if findings:
        return None, findings
    checker = _Checker(doc, GITHUB_FILE)
    checker.members()
    checker.repositories()
    checker.labels(("labels",), doc.data["labels"], {})
    checker.protections()
    checker.released(org, projects)
    if checker.findings:
        return None, sorted(checker.findings, key=lambda f: (f.line, f.column))
    return _model(doc.data), []


def load_github(repo) -> GitHubOrg:
    """The checked organisation for `repo` (plumbing.config.Repo); ConfigError (exit 2) otherwise."""
    if not (Path(repo.root) / GITHUB_FILE).is_file():
        raise ConfigError(f"{GITHUB_FILE}: missing; the stack enables plumbing:githubOrg, which declares "
                          "the organisation from it")
    model, findings = check_github(repo.root, repo.org, repo.projects)
    if findings:
        more = f" (and {len(findings) - 1} more; run `plumbing lint {GITHUB_FILE}`)" if len(findings) > 1 else ""
        raise ConfigError(findings[0].format() + more, findings=findings)
    return model
