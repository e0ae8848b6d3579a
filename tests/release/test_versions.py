from datetime import date

import pytest

from plumbing import versions
from plumbing.versions import VersionError, latest_moves, nightly_tag, parse

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"


def test_nightly_tag_uses_date_and_ten_hex():
    assert nightly_tag(SHA, date(2026, 11, 24)) == "v20261124-3ee1745ae5"


@pytest.mark.parametrize("bad", ["abc", SHA.upper(), SHA[:39], SHA + "0", "g" * 40, ""])
def test_revision_must_be_40_lowercase_hex(bad):
    with pytest.raises(VersionError):
        nightly_tag(bad, date(2026, 1, 1))


@pytest.mark.parametrize("bad", ["1.2.3", "v1.2", "v01.2.3", "v1.02.3", "v1.2.03", "v1.2.3.4",
                                 "V1.2.3", "v1.2.3-", "v1.2.3-01", "latest", "v20261301-abcdefabcd"])
def test_rejects_malformed_versions(bad):
    with pytest.raises(VersionError):
        parse(bad)


def test_semver_order_not_string_order():
    assert parse("v1.10.0") > parse("v1.9.9")
    assert parse("v1.2.3") > parse("v1.2.3-rc.1")
    assert parse("v1.2.3-rc.2") > parse("v1.2.3-rc.1")


def test_nightlies_order_by_date_then_commit():
    assert parse("v20261125-0000000000") > parse("v20261124-ffffffffff")
    assert parse("v20261124-bbbbbbbbbb") > parse("v20261124-aaaaaaaaaa")


def test_nightly_and_full_do_not_compare():
    with pytest.raises(TypeError):
        _ = parse("v1.0.0") < parse("v20261124-aaaaaaaaaa")


def test_highest_ignores_junk_and_uses_semver():
    assert versions.highest(["v1.9.0", "v1.10.0", "junk", "v1.10.0-rc.1"]).tag == "v1.10.0"
    assert versions.highest([]) is None


@pytest.mark.parametrize("version, previous, moves", [
    ("v1.3.0", "v1.2.9", True),
    ("v1.2.10", "v1.3.0", False),   # a backport never moves latest
    ("v1.3.0", "v1.3.0", False),
    ("v2.0.0-rc.1", "v1.9.0", True),
    ("v1.3.0", None, True),
])
def test_latest_moves_only_up(version, previous, moves):
    moved, reason = latest_moves(version, previous)
    assert moved is moves
    assert version in reason


def test_latest_refuses_mixed_kinds():
    with pytest.raises(VersionError):
        latest_moves("v1.2.3", "v20261124-aaaaaaaaaa")


# Hostile versions (issue 17, item 3): non-ASCII digits match \d, and `$` matches before a
# final newline; both got past the old patterns.
@pytest.mark.parametrize("text", [
    "v\u0662\u0660\u0662\u0666\u0661\u0662\u0660\u0661-0123456789",  # Arabic-Indic date
    "v1.2\u0661.3", "v\uff11.2.3",   # Arabic-Indic and full-width digits
    "v1.2.3\n", "v20261201-0123456789\n", "v1.2.3-rc.1\n", " v1.2.3", "v1.2.3 ",
])
def test_versions_are_ascii_and_whole_strings(text):
    with pytest.raises(VersionError):
        parse(text)
    assert versions.sort_key(text)[0] == 0  # never sorts among real versions


@pytest.mark.parametrize("text", ["a" * 40 + "\n", "\u0661" * 40, "A" * 40])
def test_revisions_are_ascii_and_whole_strings(text):
    with pytest.raises(VersionError):
        versions.check_revision(text)


@pytest.mark.parametrize("text", ["2026-12-01\n", "\u0662\u0660\u0662\u0666-12-01"])
def test_dates_are_ascii_and_whole_strings(text):
    with pytest.raises(VersionError):
        versions.parse_date(text)
