"""Talking to the cluster: pre-flight guards, creating PipelineRuns, following them, logs.

Modules:
- kube: which cluster we talk to (kube context checked against plumbing.yaml, or in-cluster);
- preflight: the guards that run before anything is created, each a one-line refusal;
- apply: `apply_release` (release nightly|full --apply) and `submit` (plumbing image build --apply);
- follow: the live view of a PipelineRun's tasks, with step logs as they come;
- logs: every TaskRun's step logs, in task and step order, printed or uploaded.

Only this package imports the kubernetes client, and only when a command needs the cluster.
"""
