"""Running the Pulumi program in-process under Pulumi's official mocks: no Pulumi CLI, no
provider plugins, no cloud, no cluster, no network.

The stack's config is read from Pulumi.<stack>.yaml; `secure:` values (which only the CLI can
decrypt) and missing secrets become placeholders. Every resource the program registers is
recorded with its type, logical name, parent component and the inputs exactly as Pulumi
serialises them for the provider (camelCase, outputs resolved), which is the inventory that
`plumbing infra plan` prints and the policy tests check.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
from pathlib import Path

import yaml

from plumbing.findings import ConfigError

STACK_TYPE = "pulumi:pulumi:Stack"
COMPONENT_PREFIX = "plumbing:infra:"
# How a value Pulumi marks secret appears in the inventory.
SECRET_PLACEHOLDER = "[secret]"
# What the program gets for a config secret: the runner never has the real value (only the
# Pulumi CLI can decrypt `secure:` entries). A value that reaches the inventory as this text,
# not as [secret], was used without being marked secret: the policy tests catch that.
def placeholder(key: str) -> str:
    return f"placeholder-for-{key}"



def project_name(root: Path) -> str:
    path = Path(root) / "Pulumi.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Pulumi.yaml: cannot read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError("Pulumi.yaml: no project name")
    return data["name"]


def stacks(root: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(root).glob("Pulumi.*.yaml"))


def stack_config(root: Path, stack: str) -> tuple[dict[str, str], list[str]]:
    """(config as the Pulumi runtime expects it: "ns:key" -> string, secret keys)."""
    known = stacks(root)
    if stack not in known:
        raise ConfigError(f"unknown stack {stack!r}; stacks: {', '.join(known) or 'none'} (Pulumi.<stack>.yaml)")
    path = Path(root) / f"Pulumi.{stack}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from None
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: config: expected a mapping")
    project = project_name(root)
    config, secret_keys = {}, []
    for key, value in raw.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = placeholder(full)
            secret_keys.append(full)
        elif isinstance(value, str):
            config[full] = value
        elif isinstance(value, bool):
            config[full] = "true" if value else "false"
        else:
            config[full] = json.dumps(value)
    return config, secret_keys


def _mocks_module():
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class Recorder(pulumi.runtime.Mocks):
        """Providers' answers: the inputs back, plus the few outputs GCP and GitHub would compute."""

        def __init__(self, gcp_project: str):
            self.gcp_project = gcp_project

        def new_resource(self, args):
            state = dict(args.inputs)
            if args.typ == "gcp:serviceaccount/account:Account":
                account = args.inputs.get("accountId", args.name)
                state["email"] = f"{account}@{self.gcp_project}.iam.gserviceaccount.com"
                state["name"] = f"projects/{self.gcp_project}/serviceAccounts/{state['email']}"
            elif args.typ == "gcp:container/cluster:Cluster":
                state["endpoint"] = "192.0.2.1"  # TEST-NET-1: a mock never points anywhere real
                state["masterAuth"] = {**(args.inputs.get("masterAuth") or {}), "clusterCaCertificate": "bW9jaw=="}
            elif args.typ == "gcp:storage/bucket:Bucket":
                state["url"] = f"gs://{args.inputs.get('name', args.name)}"
            elif args.typ == "github:index/team:Team":
                # GitHub derives the slug from the name; memberships and team access take it.
                from plumbing.github_org import team_slug

                state["slug"] = team_slug(args.inputs.get("name", args.name))
            return f"{args.name}-id", state

        def call(self, args):
            # No invoke is expected (v2 YAML groups are expanded by the provider, not here);
            # answer empty rather than reach for a network.
            return {}

    class Monitor(MockMonitor):
        def __init__(self, mocks):
            super().__init__(mocks)
            self.records: list[dict] = []

        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            if request.type != STACK_TYPE:
                from pulumi.runtime import rpc

                self.records.append({"type": request.type, "name": request.name, "urn": response.urn,
                                     "parent": request.parent, "provider": request.provider,
                                     "inputs": rpc.deserialize_properties(request.object),
                                     "import": request.importId})
            return response

    return Recorder, Monitor


def required_secrets(root: Path, stack: str | None = None) -> list[str]:
    """Every `plumbing:` config secret the program requires for `stack` (None: every secret
    any stack may require, which is what a stack file may hold)."""
    from plumbing.config import load_repo
    from plumbing.inventory.desired import secret_config_keys
    from plumbing.inventory.stack import flag

    if stack is None:
        return secret_config_keys(load_repo(root), github_org=True)
    config, _ = stack_config(root, stack)
    enabled = flag("githubOrg", config.get(f"{project_name(root)}:githubOrg"))
    return secret_config_keys(load_repo(root), github_org=enabled)


def _run_program(program_root: Path, root: Path) -> None:
    """Run infra/__main__.py the way Pulumi's Python host does (runpy), with PLUMBING_ROOT
    naming the config it reads, as Pulumi's unit-testing examples run a program under mocks."""
    main = Path(program_root).resolve() / "infra" / "__main__.py"
    if not main.is_file():
        raise ConfigError(f"{main}: the Pulumi program is missing")
    before = os.environ.get("PLUMBING_ROOT")
    os.environ["PLUMBING_ROOT"] = str(root)
    try:
        runpy.run_path(str(main), run_name="__main__")
    finally:
        if before is None:
            os.environ.pop("PLUMBING_ROOT", None)
        else:
            os.environ["PLUMBING_ROOT"] = before


def plan(root: Path, stack: str, program_root: Path | None = None) -> list[dict]:
    """Run the program for `stack` under mocks; return the inventory (see module docstring).

    `program_root` is where infra/ lives (default: `root`); tests point `root` at a scratch
    copy of the config and keep the program from the checkout.
    """
    root = Path(root).resolve()
    config, secret_keys = stack_config(root, stack)
    project = project_name(root)
    for key in required_secrets(root, stack):
        full = f"{project}:{key}"
        if full not in config:
            config[full] = placeholder(full)
            secret_keys.append(full)

    from plumbing.inventory.stack import IMAGE_KNOB, KNOBS, placeholder_image

    # Offline, nothing was built: a marked stand-in for the digest the deploy pipeline sets.
    config.setdefault(f"{project}:{IMAGE_KNOB}", placeholder_image(root))

    allowed = set(KNOBS) | set(required_secrets(root))
    for key in config:
        ns, _, name = key.partition(":")
        if ns == project and name not in allowed:
            raise ConfigError(f"Pulumi.{stack}.yaml: unknown config key {key!r}; knobs: {', '.join(KNOBS)}")
    program = program_root or root
    return inventory(run_under_mocks(lambda: _run_program(program, root), config, secret_keys,
                                     project=project, stack=stack))


def run_under_mocks(fn, config: dict[str, str], secret_keys: list[str] | None = None, *,
                    project: str = "plumbing", stack: str = "test") -> list[dict]:
    """Call `fn` (which declares resources) under Pulumi's mocks with `config`; return the raw
    records. Exceptions from `fn` propagate (a ConfigError stays a one-line error)."""
    import pulumi
    from pulumi.runtime import settings

    Recorder, Monitor = _mocks_module()
    monitor = Monitor(Recorder(config.get("gcp:project", "mock-project")))
    settings.set_root_resource(None)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys or []))
    errors: list[BaseException] = []

    def guarded():
        try:
            fn()
        except BaseException as exc:  # re-raised below, outside Pulumi's event loop
            errors.append(exc)

    with _no_source_positions():
        pulumi.runtime.test(guarded)()
    if errors:
        raise errors[0]
    return monitor.records


@contextlib.contextmanager
def _no_source_positions():
    """Pulumi records each resource's source position by walking the Python stack with its
    source lines (traceback.extract_stack), about a fifth of a plan's time; the inventory never
    shows positions, so while the program runs under our mocks the walk is skipped. Restored
    afterwards; a Pulumi without this hook is left alone."""
    from pulumi.runtime import resource as runtime_resource
    from pulumi.runtime.proto import source_pb2

    original = getattr(runtime_resource, "_get_stack_trace", None)
    if original is None:
        yield
        return
    runtime_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        runtime_resource._get_stack_trace = original


def inventory(records: list[dict]) -> list[dict]:
    """Records -> [{type, name, component, inputs}], sorted by component (the component itself
    first), type and name: registration order depends on thread timing, the inventory must not."""
    by_urn = {r["urn"]: r for r in records}

    def component_of(record) -> str:
        parent = by_urn.get(record["parent"])
        while parent is not None:
            if parent["type"].startswith(COMPONENT_PREFIX):
                return parent["name"]
            parent = by_urn.get(parent["parent"])
        return record["name"] if record["type"].startswith(COMPONENT_PREFIX) else ""

    out = []
    for record in records:
        inputs = _plain(record["inputs"])
        entry = {"type": record["type"], "name": record["name"], "component": component_of(record),
                 "inputs": inputs}
        # An explicit provider reference is "<urn>::<id>"; none means the ambient default one.
        provider = by_urn.get((record.get("provider") or "").rsplit("::", 1)[0])
        if provider is not None:
            entry["provider"] = provider["name"]
        if record.get("import"):  # adopted, not created: `pulumi up` imports this ID
            entry["import"] = record["import"]
        out.append(entry)
    out.sort(key=lambda r: (r["component"], not r["type"].startswith(COMPONENT_PREFIX), r["type"], r["name"]))
    return out


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker for a secret value


def _plain(value):
    """JSON-able copy: secrets become a placeholder, whole numbers ints (the wire has only
    floats), resource references a marker."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return SECRET_PLACEHOLDER
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    urn = getattr(value, "urn", None)
    if urn is not None:
        return {"resourceReference": str(type(value).__name__)}
    return str(value)
