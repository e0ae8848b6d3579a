"""Release versions: nightly tags, strict semver, their order, and whether `latest/` moves.

Nightly: `vYYYYMMDD-<first 10 hex of the commit>` (UTC date). Full: `vX.Y.Z`, strict semver
without leading zeros. Nightlies order by date, then commit; releases by semver. `latest/`
only ever moves up: a backport (lower than what was released) leaves it alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

NIGHTLY = "nightly"
FULL = "full"

# Every pattern is ASCII-only ([0-9], never \d, which also matches Arabic-Indic and other
# digits) and used with fullmatch (a `$` would also match before a final newline).
_COMMIT = re.compile(r"[0-9a-f]{40}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_NIGHTLY_TAG = re.compile(r"v([0-9]{4})([0-9]{2})([0-9]{2})-([0-9a-f]{10})", re.ASCII)
# semver.org's regex, with the leading "v" we require.
_FULL_TAG = re.compile(
    r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)


class VersionError(ValueError):
    """A version, revision or date the user gave is malformed."""


@dataclass(frozen=True, order=False)
class Version:
    tag: str
    kind: str  # NIGHTLY or FULL
    key: object  # sort key within its kind: (date, commit) or a semver.Version

    def __lt__(self, other: Version) -> bool:
        if self.kind != other.kind:
            raise TypeError("nightly and full versions do not compare")
        return self.key < other.key

    def __gt__(self, other: Version) -> bool:
        return other < self


def check_revision(revision: str) -> str:
    if not isinstance(revision, str) or not _COMMIT.fullmatch(revision):
        raise VersionError(f"revision {revision!r} is not a full 40-hex commit SHA (lowercase)")
    return revision


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and _DATE.fullmatch(text) else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str):
    raise VersionError(f"date {text!r} is not a YYYY-MM-DD date")


def nightly_tag(revision: str, day: date | None = None) -> str:
    check_revision(revision)
    day = day or datetime.now(UTC).date()
    return f"v{day:%Y%m%d}-{revision[:10]}"


def parse(tag: str) -> Version:
    """A nightly or full version; VersionError naming what is wrong otherwise."""
    m = _NIGHTLY_TAG.fullmatch(tag or "")
    if m:
        y, mo, d, commit = m.groups()
        try:
            date(int(y), int(mo), int(d))
        except ValueError:
            raise VersionError(f"nightly version {tag!r} has an impossible date") from None
        return Version(tag, NIGHTLY, (y + mo + d, commit))
    return parse_full(tag)


def parse_full(tag: str) -> Version:
    import semver

    m = _FULL_TAG.fullmatch(tag or "")
    if not m:
        raise VersionError(
            f"version {tag!r} is not vX.Y.Z (strict semver with a leading 'v', no leading zeros)"
        )
    # semver.Version orders as semver says (pre-releases first, build metadata ignored).
    return Version(tag, FULL, semver.Version.parse(tag[1:]))


def sort_key(tag: str) -> tuple:
    """The one order of version tags: nightlies by date then commit, full releases by semver
    (pre-releases first, build metadata ignored); tags that are not versions sort first, by
    name. Kinds never compare with each other: a nightly sorts below every full release."""
    try:
        v = parse(tag)
    except VersionError:
        return (0, tag)
    return (1, v.key) if v.kind == NIGHTLY else (2, v.key)


def highest(tags) -> Version | None:
    """The highest version among `tags` (ignores tags that do not parse)."""
    best = None
    for tag in tags:
        try:
            v = parse(tag)
        except VersionError:
            continue
        if best is None or (v.kind == best.kind and v > best):
            best = v
    return best


def latest_moves(version: str, previous: str | None) -> tuple[bool, str]:
    """Does `latest/` move to `version`, given the highest version already released?"""
    new = parse(version)
    if previous is None:
        return True, f"no earlier {new.kind} version is known, so {version} becomes latest"
    old = parse(previous)
    if old.kind != new.kind:
        raise VersionError(f"--previous {previous} is a {old.kind} version but {version} is {new.kind}")
    if new.key == old.key:
        return False, f"{version} is already the highest version"
    if new > old:
        return True, f"{version} is higher than {previous}"
    return False, f"{version} is lower than {previous} (a backport): latest stays at {previous}"
