"""`plumbing lint` end to end through click: formats, exit codes, config, suppressions, stdin."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plumbing.cli.lint_cmds import lint

TASK = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: build
spec:
  params:
    - name: url
  steps:
    - name: Build
      image: alpine
      script: echo $(params.uri)
"""

CLEAN = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: build
spec:
  steps:
    - name: build
      image: alpine
      script: echo hi
"""


def invoke(args, input=None):
    return CliRunner().invoke(lint, args, input=input)


@pytest.fixture
def bad(tmp_path):
    p = tmp_path / "task.yaml"
    p.write_text(TASK)
    return p


def test_text_output_and_exit_1(bad):
    res = invoke([str(bad)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert f"{bad}:9:7: error step-name-format step name 'Build' is not a DNS-1123 label" in lines[0]
    assert lines[1].startswith(f"{bad}:11:7: error task-param-undeclared $(params.uri)")
    assert lines[-1] == "1 files, 1 documents (0 skipped): 2 errors, 0 warnings"


def test_json_output_has_exactly_the_keys(bad):
    res = invoke(["--format", "json", str(bad)])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert [sorted(d) for d in data] == [sorted(["path", "line", "column", "severity", "rule",
                                                 "message"])] * 2
    assert data[0]["line"] == 9 and data[0]["column"] == 7 and data[0]["severity"] == "error"


def test_github_annotations(bad):
    res = invoke(["--format", "github", str(bad)])
    assert res.output.startswith(f"::error file={bad},line=9,col=7,title=step-name-format::")


def test_clean_exit_0_and_strict_warnings(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text(CLEAN)
    assert invoke([str(p)]).exit_code == 0
    warn = CLEAN + "  sidecars: [{name: s, image: x, args: ['$(params.nope)']}]\n"
    p.write_text(warn)
    assert invoke([str(p)]).exit_code == 0
    assert invoke(["--strict", str(p)]).exit_code == 1


def test_stdin_and_directories(tmp_path):
    res = invoke(["-"], input=TASK)
    assert res.exit_code == 1 and res.output.startswith("<stdin>:9:7:")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.yml").write_text(TASK)
    (tmp_path / "a" / "notes.txt").write_text(TASK)
    (tmp_path / "a" / "pvc.yaml").write_text("apiVersion: v1\nkind: PersistentVolumeClaim\n---\nfoo: 1\n")
    res = invoke([str(tmp_path / "a")])
    assert "2 files, 3 documents (2 skipped): 2 errors" in res.output


def test_missing_path_is_usage_error(tmp_path):
    res = invoke([str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2
    assert "no such file" in res.output


def test_syntax_error_does_not_stop_other_files(tmp_path, bad):
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1,\nb: {{ x }}\n")
    res = invoke([str(broken), str(bad)])
    assert f"{broken}:" in res.output and "yaml-syntax" in res.output
    assert "step-name-format" in res.output


def test_config_file_turns_rules_off_and_changes_severity(tmp_path, bad):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("rules:\n  step-name-format: off\n  task-param-undeclared: warning\n")
    res = invoke(["--config", str(cfg), str(bad)])
    assert res.exit_code == 0
    assert "step-name-format" not in res.output
    assert "warning task-param-undeclared" in res.output


def test_default_config_is_read_from_cwd(tmp_path, bad, monkeypatch):
    (tmp_path / ".plumbing-lint.yaml").write_text("rules: {step-name-format: false}\n")
    monkeypatch.chdir(tmp_path)
    res = invoke([str(bad)])
    assert "step-name-format" not in res.output and "task-param-undeclared" in res.output


@pytest.mark.parametrize("text,where", [
    ("rules:\n  no-such-rule: off\n", ":2:3:"),
    ("rules:\n  step-name-format: loud\n", ":2:3:"),
    ("rules: [a]\n", ":1:1:"),
    ("rules: {a: [\n", ":2:1:"),
])
def test_bad_config_is_exit_2(tmp_path, bad, text, where):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(text)
    res = invoke(["--config", str(cfg), str(bad)])
    assert res.exit_code == 2, res.output
    assert where in res.output


def test_inline_disable_line_and_document(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text(TASK.replace("- name: Build", "- name: Build  # plumbing-lint disable=step-name-format"))
    res = invoke([str(p)])
    assert "step-name-format" not in res.output and "task-param-undeclared" in res.output
    doc_wide = "# plumbing-lint disable=task-param-undeclared,step-name-format\n" + TASK
    p.write_text(doc_wide + "---\n" + TASK)
    res = invoke([str(p)])
    # the comment silences the first document only
    assert res.output.count("step-name-format") == 1
    assert ":22:7:" in res.output


def test_rules_subcommand_and_markdown():
    res = invoke(["rules"])
    assert res.exit_code == 0 and "task-param-undeclared" in res.output
    md = invoke(["rules", "--format", "markdown"])
    assert md.output.startswith("# plumbing lint rules")


def test_docs_rules_md_is_generated(repo_root):
    from plumbing.lint.docs import markdown

    path = repo_root / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == markdown(), \
        "docs/rules.md drifted: run `plumbing lint rules --format markdown > docs/rules.md`"


def test_repo_config_files_are_linted(tmp_path, repo_root):
    import shutil

    shutil.copy(repo_root / "plumbing.yaml", tmp_path / "plumbing.yaml")
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "x.yaml").write_text("name: x\nrepository: 3\nunknown: 1\n")
    res = invoke([str(tmp_path)])
    assert res.exit_code == 1
    assert f"{tmp_path}/releases/x.yaml:" in res.output and "release-config" in res.output


def test_lint_this_repository(repo_root):
    """The repository's own YAML (config, cronjobs, triggers) lints without errors."""
    paths = [str(repo_root / p) for p in ("plumbing.yaml", "releases", "triggers", "cronjobs")
             if (repo_root / p).exists()]
    res = invoke(paths)
    assert " 0 errors" in res.output, res.output


def test_trigger_template_runs_are_linted_with_positions(tmp_path):
    p = tmp_path / "tt.yaml"
    p.write_text("""\
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata: {name: t}
spec:
  params: [{name: rev}]
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata: {generateName: run-}
      spec:
        pipelineRef: {name: p}
        params: [{name: revision, value: $(tt.params.rev)}]
        timeouts: {pipeline: 1 hour}
""")
    res = invoke([str(p)])
    assert res.output.splitlines()[0] == (
        f"{p}:13:20: error duration-format pipeline: '1 hour' is not a Go duration "
        "(e.g. '1h30m', '90s', '0')")
    assert "tt.params" not in res.output


def test_plumbing_yaml_without_releases_is_not_the_org_config(repo_root):
    """The yamale schema src/plumbing/schemas/plumbing.yaml is plain YAML, not a config to check."""
    res = invoke([str(repo_root / "src" / "plumbing" / "schemas")])
    assert " 0 errors" in res.output, res.output


def test_console_script_end_to_end(tmp_path, bad):
    """Through the real `plumbing` entry point (lazy registration in plumbing.cli.main)."""
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "plumbing"
    if not exe.exists():
        pytest.skip("the plumbing console script is not installed in this environment")
    proc = subprocess.run([str(exe), "lint", "--format", "json", str(bad)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert {f["rule"] for f in json.loads(proc.stdout)} == {"step-name-format", "task-param-undeclared"}
    cfg = tmp_path / "bad-config.yaml"
    cfg.write_text("rules: {nope: off}\n")
    proc = subprocess.run([str(exe), "lint", "--config", str(cfg), str(bad)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("enabled", [True, False])
def test_lint_leaves_the_garbage_collector_as_it_found_it_when_linting_raises(tmp_path, enabled):
    import gc

    from plumbing.findings import PlumbingError
    from plumbing.lint.runner import run

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with pytest.raises(PlumbingError, match="no such file"):
            run([str(tmp_path / "missing.yaml")])
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_config_errors_name_plumbing_lint_and_are_findings(tmp_path, bad):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("rules:\n  nope: off\n")
    from plumbing.cli.main import plumbing

    res = CliRunner().invoke(plumbing, ["lint", "--config", str(cfg), str(bad)])
    assert res.exit_code == 2
    assert res.output.strip() == (f"plumbing lint: {cfg}:2:3: error lint-config unknown rule 'nope' "
                                  "(see `plumbing lint rules`)")


def test_undecodable_stdin_is_a_finding_like_a_file(tmp_path):
    """`printf '\\xc0' | plumbing lint -` through the console script: a finding, exit 1."""
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "plumbing"
    if not exe.exists():
        pytest.skip("the plumbing console script is not installed in this environment")
    as_file = tmp_path / "bad.yaml"
    as_file.write_bytes(b"\xc0")
    piped = subprocess.run([str(exe), "lint", "-"], input=b"\xc0", capture_output=True, timeout=60)
    from_file = subprocess.run([str(exe), "lint", str(as_file)], capture_output=True, timeout=60)
    assert piped.returncode == from_file.returncode == 1, piped.stderr
    assert b"Traceback" not in piped.stderr
    assert piped.stdout.decode().splitlines()[0] == (
        "<stdin>: error file-read cannot read: 'utf-8' codec can't decode byte 0xc0 in position 0: "
        "invalid start byte")
    assert from_file.stdout.decode().replace(str(as_file), "<stdin>") == piped.stdout.decode()
