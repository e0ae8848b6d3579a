"""Does a pull request carry what its release notes need? Exactly one `kind/*` label, and either
a ```release-note block or the `release-note-none` label. Reported as a commit status on the
PR's head commit, so branch protection can require it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from plumbing.release.notes import NONE_LABEL, release_note

CONTEXT = "plumbing/release-notes"


@dataclass
class LabelCheck:
    repo: str
    number: int
    sha: str
    problems: list[str]

    @property
    def state(self) -> str:
        return "failure" if self.problems else "success"

    @property
    def description(self) -> str:
        # GitHub cuts a status description at 140 characters.
        text = "; ".join(self.problems) if self.problems else "one kind/* label and a release note"
        return text[:140]

    def as_dict(self) -> dict:
        return {**asdict(self), "state": self.state, "description": self.description}


def problems(pull: dict) -> list[str]:
    labels = [lb.get("name", "") for lb in pull.get("labels") or [] if isinstance(lb, dict)]
    kinds = sorted(lb for lb in labels if lb.startswith("kind/"))
    found = []
    if len(kinds) != 1:
        found.append("needs exactly one kind/* label" + (f" (has {', '.join(kinds)})" if kinds else " (has none)"))
    text, none = release_note(pull.get("body"), labels)
    if text is None and not none:
        found.append(f"needs a ```release-note block (NONE if users need not know) or the {NONE_LABEL} label")
    return found


def check_pull(client, repo: str, number: int, *, report: bool = True, target_url: str | None = None) -> LabelCheck:
    """Read PR `number`, judge it, and (with `report`) set the commit status on its head."""
    pull = client.get(f"/repos/{repo}/pulls/{int(number)}")
    sha = str((pull.get("head") or {}).get("sha") or "")
    result = LabelCheck(repo, int(number), sha, problems(pull))
    if report:
        status = {"state": result.state, "context": CONTEXT, "description": result.description}
        if target_url:
            status["target_url"] = target_url
        client.post(f"/repos/{repo}/statuses/{sha}", status)
    return result
