"""Subcommands the release Tasks run from the plumbing image: checks that would otherwise be
long inline shell (verify-images, rewrite-devel, derive-notags)."""

from __future__ import annotations

from pathlib import Path

import click

from plumbing.cli.common import exits
from plumbing.findings import EXIT_FAILED, EXIT_OK, PlumbingError


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlumbingError(f"{path}: cannot read: {exc}") from None


@click.command("verify-images")
@click.argument("expected", nargs=-1, required=True)
@click.option("--file", "file", required=True, type=click.Path(dir_okay=False),
              help="The release.yaml ko wrote.")
@click.option("--repo", "repo", envvar="KO_DOCKER_REPO", required=True, show_envvar=True,
              help="KO_DOCKER_REPO: images under it count as built.")
@click.option("--package", help="The Go package (preserve-import-paths naming) [default: read "
              "from the built references].")
@click.option("--naming", type=click.Choice(["preserve-import-paths", "base-import-paths"]),
              default="preserve-import-paths", show_default=True)
@click.option("--version", help="Every built image must carry this tag.")
@click.option("--images-result", type=click.Path(dir_okay=False),
              help="Write the IMAGES result (ref@sha256:digest lines) here.")
@exits
def verify_images(expected, file, repo, package, naming, version, images_result):
    """Check that release.yaml references exactly the EXPECTED images (no missing, no extra).

    EXPECTED are cmd/ names as in releases/<project>.yaml; space-separated words in one
    argument are split, so `$IMAGES` from a Task param works quoted or not.
    """
    from plumbing.release.built_images import built_package, check_built_images
    from plumbing.release.plan import image_ref

    names = [n for arg in expected for n in arg.split()]
    text = _read(file)
    if naming == "preserve-import-paths" and not package:
        package = built_package(text, repo)
        if package is None:
            raise PlumbingError(f"{file}: cannot tell the Go package from its image references; pass --package")
    wanted = {n: image_ref(repo, package or "", n, naming) for n in names}
    result = check_built_images(text, wanted, repo, version)
    for problem in result.problems():
        click.echo(f"{file}: {problem}", err=True)
    if not result.ok:
        return EXIT_FAILED
    if images_result:
        Path(images_result).write_text(result.images_result(), encoding="utf-8")
    click.echo(f"{file}: all {len(names)} images built, none extra")
    return EXIT_OK


@click.command("rewrite-devel")
@click.option("--version", "version", required=True, help="The release tag to write.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@exits
def rewrite_devel(version, files):
    """Rewrite `devel` version labels in FILES to VERSION, in place; fail if any remain."""
    from plumbing.release.devel import remaining_devel
    from plumbing.release.devel import rewrite_devel as rewrite
    from plumbing.versions import VersionError, parse

    try:
        parse(version)
    except VersionError as exc:
        raise PlumbingError(str(exc)) from None
    failed = False
    for name in files:
        text, count = rewrite(_read(name), version)
        left = remaining_devel(text)
        if left:
            failed = True
            click.echo(f"{name}: still says devel at {', '.join(left)}", err=True)
            continue
        Path(name).write_text(text, encoding="utf-8")
        click.echo(f"{name}: {count} devel labels set to {version}")
    return EXIT_FAILED if failed else EXIT_OK


@click.command("derive-notags")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write release.notags.yaml.")
@exits
def derive_notags(source, out):
    """Write SOURCE with every repo:tag@sha256:digest reference turned into repo@sha256:digest."""
    from plumbing.release.built_images import derive_notags as derive
    from plumbing.release.built_images import find_refs

    text = _read(source)
    derived = derive(text)
    if find_refs(text) and any(ref.tag for ref in find_refs(derived)):
        raise PlumbingError(f"{source}: tags remain after derivation")  # cannot happen; guard the contract
    Path(out).write_text(derived, encoding="utf-8")
    click.echo(f"{out}: {len(find_refs(derived))} image references without tags")
    return EXIT_OK
