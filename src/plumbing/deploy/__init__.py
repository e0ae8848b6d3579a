"""Continuous deployment of the plumbing itself: the deploy decisions (deploy.run), their records
and markers in the logs bucket (deploy.records), the one thin module that calls Pulumi
(deploy.pulumi_cli), the PR inventory comment (deploy.pr_comment)."""
