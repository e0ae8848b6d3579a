"""Bumping a component's pinned version in a stack file, and proposing it as a pull request.

The stack file is edited in place with ruamel.yaml's round-trip mode: comments, key order and
quoting stay; only the version changes. The result is checked against the original, line by
line, before anything is written, so a file ruamel would reformat is refused, never half-changed.

A version is pinned only when its post-release test passed (tested.json beside the release);
`force` skips the lookup and needs a reason, which goes into the commit and the pull request.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from plumbing import components, versions
from plumbing.findings import CheckFailed, PlumbingError
from plumbing.verdict import PASSED, UNTESTED, read_verdict

BRANCH_PREFIX = "plumbing/bump"
BOT = ("plumbing-bot", "plumbing-bot@users.noreply.github.com")


class Refused(CheckFailed):
    """The version is not verified (exit 1): nothing was changed."""


@dataclass(frozen=True)
class Bump:
    component: str
    stack: str
    old: str
    new: str
    verdict: str | None       # None when forced (not looked up)
    reason: str | None
    changed: bool

    @property
    def branch(self) -> str:
        return f"{BRANCH_PREFIX}/{self.stack}/{self.component}"

    def title(self) -> str:
        return f"{self.stack}: bump {self.component} from {self.old} to {self.new}"

    def notes_url(self) -> str:
        repo = components.BY_NAME[self.component].upstream
        try:
            nightly = versions.parse(self.new).kind == versions.NIGHTLY
        except versions.VersionError:
            nightly = False
        if nightly:
            return f"https://github.com/{repo}/commits/{self.new.rsplit('-', 1)[1]}"
        return f"https://github.com/{repo}/releases/tag/{self.new}"

    def message(self) -> str:
        lines = [self.title(), "", f"Pulumi.{self.stack}.yaml pins {self.component} at {self.new} (was {self.old})."]
        if self.verdict:
            lines.append(f"Post-release test of {self.new}: {self.verdict}.")
        if self.reason:
            lines.append(f"Forced without looking up the post-release test: {self.reason}")
        return "\n".join(lines) + "\n"

    def body(self) -> str:
        verdict = self.verdict or f"not looked up (forced: {self.reason})"
        return "\n".join([
            f"Bumps **{self.component}** in stack `{self.stack}`.", "",
            "| | version |", "| --- | --- |", f"| old | `{self.old}` |", f"| new | `{self.new}` |", "",
            f"Post-release test of `{self.new}`: **{verdict}**", "",
            f"Release notes: {self.notes_url()}", "",
            "Merging deploys it through continuous deployment. "
            "This pull request is opened and updated by `plumbing versions bump --pr`; one per component and stack.",
        ]) + "\n"


def verdict_of(repo, open_bucket, component: str, version: str) -> str:
    bucket = open_bucket(components.bucket_for(repo.org, version))
    found = read_verdict(bucket, component, version)
    return found.verdict if found else UNTESTED


def check_verified(repo, open_bucket, component: str, version: str) -> str:
    verdict = verdict_of(repo, open_bucket, component, version)
    if verdict != PASSED:
        raise Refused(f"{component} {version}: post-release test {verdict}; only a verified version is pinned "
                      "(--force --reason TEXT to pin it anyway)")
    return verdict


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def edit_text(text: str, component: str, new: str) -> tuple[str, str | None]:
    """(new text, the old explicit pin or None). ruamel's round-trip parse says where the pin's
    value sits (line, column, quote style); exactly those characters are replaced, so every other
    byte (comments, their columns, order, quoting) stays. A component the stack left at its
    default gets one line under plumbing:tektonVersions."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    data = _yaml().load(text)
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        raise PlumbingError("the stack file has no config mapping")
    pins = config.get(components.VERSIONS_KEY)
    if not isinstance(pins, dict):
        raise PlumbingError(f"the stack file has no {components.VERSIONS_KEY} mapping; add it by hand")
    old = pins.get(component)
    if old is None:
        return _add_line(text, pins, component, new), None
    quote = '"' if isinstance(old, DoubleQuotedScalarString) else "'" if isinstance(old, SingleQuotedScalarString) else ""
    line, col = pins.lc.value(component)
    lines = text.splitlines(keepends=True)
    token = f"{quote}{old}{quote}"
    if lines[line][col:col + len(token)] != token:
        raise PlumbingError(f"{component}: cannot find its pin {token} in the stack file's text; edit it by hand")
    lines[line] = lines[line][:col] + f"{quote}{new}{quote}" + lines[line][col + len(token):]
    return "".join(lines), str(old)


def _add_line(text: str, pins, component: str, new: str) -> str:
    """One `component: new` line after the mapping's last entry, at its indentation."""
    if not pins or pins.fa.flow_style():
        raise PlumbingError(f"{components.VERSIONS_KEY} is empty or a flow mapping; add {component} by hand")
    last = list(pins)[-1]
    line, col = pins.lc.key(last)
    lines = text.splitlines(keepends=True)
    if not lines[line].endswith("\n"):
        lines[line] += "\n"
    lines.insert(line + 1, f"{' ' * col}{component}: {new}\n")
    return "".join(lines)


def bump_file(path: Path, stack: str, component: str, new: str, pinned: str, *, verdict, reason) -> Bump:
    """Write the new pin into `path` (a Pulumi.<stack>.yaml); nothing written when unchanged."""
    if component not in components.BY_NAME:
        raise PlumbingError(f"unknown component {component!r}; known: {', '.join(components.BY_NAME)}")
    try:
        versions.parse(new)
    except versions.VersionError as exc:
        raise PlumbingError(str(exc)) from None
    if new == pinned:
        return Bump(component, stack, pinned, new, verdict, reason, changed=False)
    text = path.read_text(encoding="utf-8")
    result, _ = edit_text(text, component, new)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(result, encoding="utf-8")
    os.replace(tmp, path)   # whole or nothing
    return Bump(component, stack, pinned, new, verdict, reason, changed=True)


# --- git and the pull request ------------------------------------------------------------

def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    full = ["git", "-c", f"user.name={BOT[0]}", "-c", f"user.email={BOT[1]}", *args]
    proc = subprocess.run(full, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise PlumbingError(f"git {' '.join(args[:2])}: {' '.join(proc.stderr.split())[:300]}")
    return proc.stdout


def _auth(remote: str) -> list[str]:
    """Push over https with $GITHUB_TOKEN as an extra header (never in the URL, never logged)."""
    import base64

    token = os.environ.get("GITHUB_TOKEN")
    if not token or not remote.startswith("https://"):
        return []
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return ["-c", f"http.extraHeader=Authorization: basic {basic}"]


def clone(remote: str, base: str, into: Path) -> Path:
    git(Path(into), *_auth(remote), "clone", "-q", "--depth", "1", "--branch", base, remote, "checkout")
    return Path(into) / "checkout"


def push_branch(checkout: Path, remote: str, bump: Bump) -> None:
    """Commit the edited stack file on the bump's branch and push it (replacing what an earlier
    run pushed there: the branch holds one commit on top of the base)."""
    git(checkout, "checkout", "-q", "-B", bump.branch)
    git(checkout, "add", f"Pulumi.{bump.stack}.yaml")
    git(checkout, "commit", "-q", "-m", bump.message())
    git(checkout, *_auth(remote), "push", "-q", "--force", remote, f"HEAD:refs/heads/{bump.branch}")


def open_or_update_pr(client, repo: str, bump: Bump, base: str) -> tuple[str, dict]:
    """("created" | "updated", the pull request): one open pull request per branch."""
    owner = repo.split("/")[0]
    found = next(iter(client.get(f"/repos/{repo}/pulls",
                                 {"state": "open", "head": f"{owner}:{bump.branch}", "base": base}) or []), None)
    if found:
        return "updated", client.patch(f"/repos/{repo}/pulls/{found['number']}",
                                       {"title": bump.title(), "body": bump.body()})
    return "created", client.post(f"/repos/{repo}/pulls", {"title": bump.title(), "head": bump.branch,
                                                            "base": base, "body": bump.body()})


def propose(*, remote: str, base: str, stack: str, component: str, new: str, verdict, reason, client,
            github_repo: str) -> tuple[Bump, str, dict | None]:
    """Clone the base branch, pin `new` there, push the bump branch, open or update its pull
    request. (bump, "created" | "updated" | "unchanged", pull request or None)."""
    with tempfile.TemporaryDirectory(prefix="plumbing-bump-") as tmp:
        checkout = clone(remote, base, Path(tmp))
        pins = components.read_pins(checkout, stack)
        bump = bump_file(pins.path, stack, component, new, pins.versions[component], verdict=verdict, reason=reason)
        if not bump.changed:
            return bump, "unchanged", None
        push_branch(checkout, remote, bump)
    action, pull = open_or_update_pr(client, github_repo, bump, base)
    return bump, action, pull
