"""What ko built, read back from release.yaml: image references, the configured-list check,
and release.notags.yaml derived from release.yaml (build once, never resolve twice)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# repo[:tag]@sha256:digest, the form ko writes into release.yaml.
IMAGE_REF = re.compile(
    r"(?P<repo>[a-z0-9][a-z0-9.-]*(?::[0-9]+)?(?:/[A-Za-z0-9._-]+)+)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"@(?P<digest>sha256:[0-9a-f]{64})"
)


@dataclass(frozen=True)
class ImageRef:
    repo: str
    tag: str | None
    digest: str

    @property
    def pinned(self) -> str:
        return f"{self.repo}@{self.digest}"


def find_refs(text: str) -> list[ImageRef]:
    return [ImageRef(m["repo"], m["tag"], m["digest"]) for m in IMAGE_REF.finditer(text)]


def derive_notags(text: str) -> str:
    """release.notags.yaml: every `repo:tag@sha256:d` becomes `repo@sha256:d`, nothing else changes."""
    return IMAGE_REF.sub(lambda m: f"{m['repo']}@{m['digest']}", text)


@dataclass
class ImageCheck:
    expected: dict[str, str]        # name -> expected repo
    found: dict[str, list[ImageRef]]  # repo -> refs seen
    missing: list[str]
    extra: list[str]
    wrong_tag: list[str]
    conflicting: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.wrong_tag or self.conflicting)

    def problems(self) -> list[str]:
        out = [f"missing image {name}: expected {self.expected[name]}" for name in self.missing]
        out += [f"unexpected image {repo} (not in the configured list)" for repo in self.extra]
        out += [f"image {r} is not tagged with the release version" for r in self.wrong_tag]
        out += [f"image {r} appears with more than one digest" for r in self.conflicting]
        if self.missing and self.extra:
            out.append("a missing and an unexpected image together often mean an image was renamed: "
                       "update the project's images list or the cmd/ directory")
        return out

    def images_result(self) -> str:
        """The IMAGES result Chains signs: one ref@sha256:digest per line."""
        pinned = sorted({refs[0].pinned for repo, refs in self.found.items() if repo in self.expected.values()})
        return "\n".join(pinned) + ("\n" if pinned else "")


def built_package(text: str, prefix: str) -> str | None:
    """The Go package ko preserved in the image paths under `prefix` (`<prefix>/<pkg>/cmd/x`),
    when every such reference names the same one."""
    packages = set()
    for ref in find_refs(text):
        rest = ref.repo[len(prefix) + 1:] if ref.repo.startswith(prefix.rstrip("/") + "/") else None
        if rest and "/cmd/" in rest:
            packages.add(rest.split("/cmd/", 1)[0])
    return packages.pop() if len(packages) == 1 else None


def check_built_images(text: str, expected: dict[str, str], prefix: str, version: str | None = None) -> ImageCheck:
    """Compare the images under `prefix` in release.yaml with the configured ones.

    `expected` maps each configured name to the repository ko pushes it to. Only references
    under `prefix` (KO_DOCKER_REPO) count as built by this release; base images do not.
    """
    found: dict[str, list[ImageRef]] = {}
    for ref in find_refs(text):
        if ref.repo == prefix or ref.repo.startswith(prefix.rstrip("/") + "/"):
            found.setdefault(ref.repo, []).append(ref)
    wanted = set(expected.values())
    missing = [name for name, repo in expected.items() if repo not in found]
    extra = sorted(repo for repo in found if repo not in wanted)
    wrong_tag = sorted({f"{r.repo}:{r.tag}" if r.tag else r.repo
                        for refs in found.values() for r in refs
                        if version is not None and r.tag != version})
    conflicting = sorted(repo for repo, refs in found.items() if len({r.digest for r in refs}) > 1)
    return ImageCheck(expected, found, missing, extra, wrong_tag, conflicting)
