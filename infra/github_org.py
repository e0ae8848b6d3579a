"""The GitHub organisation from github.yaml: teams, their members, repositories with their
settings, team access, labels and branch protection, through an explicit GitHub provider.

Only what the file declares is managed: labels, members and protections made by hand are left
alone (docs/github.md says how to adopt and prune them). The token is a Pulumi config secret
(plumbing:githubOrgToken) and never leaves the provider.
"""

from __future__ import annotations

import pulumi
import pulumi_github as github

from plumbing.inventory.desired import GITHUB_ORG_TOKEN


class GitHubOrg(pulumi.ComponentResource):
    def __init__(self, name: str, *, org, adopt: bool = False, opts: pulumi.ResourceOptions | None = None):
        """`adopt` (plumbing:githubAdopt): import what already exists on GitHub instead of creating
        it; each resource's import ID follows from the file (docs/github.md)."""
        super().__init__("plumbing:infra:GitHubOrg", name, None, opts)
        token = pulumi.Config("plumbing").require_secret(GITHUB_ORG_TOKEN)
        # Explicit owner and token: never the GITHUB_OWNER/GITHUB_TOKEN of whoever runs `pulumi up`.
        self.provider = github.Provider(f"{name}-provider", owner=org.organisation, token=token,
                                        opts=pulumi.ResourceOptions(parent=self))

        def child(import_id: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=self.provider, import_=import_id if adopt else None)

        self.teams = {}
        for team in org.teams:
            self.teams[team.slug] = github.Team(
                f"{name}-team-{team.slug}", name=team.slug, description=team.description, privacy=team.privacy,
                # Otherwise GitHub makes the token's user a maintainer of every new team.
                create_default_maintainer=False, opts=child(team.slug))
            for login in team.members:
                # By slug (the provider takes id or slug): readable in the plan, and the policies
                # can count a team's members offline. Role member: membership changes go
                # through github.yaml, not through team maintainers.
                github.TeamMembership(f"{name}-member-{team.slug}-{login}", team_id=self.teams[team.slug].slug,
                                      username=login, role="member", opts=child(f"{team.slug}:{login}"))

        self.repositories = {}
        for repo in org.repositories:
            r = self.repositories[repo.name] = github.Repository(
                f"{name}-repo-{repo.name}", name=repo.name, description=repo.description, visibility=repo.visibility,
                allow_squash_merge="squash" in repo.merge, allow_merge_commit="merge" in repo.merge,
                allow_rebase_merge="rebase" in repo.merge, delete_branch_on_merge=repo.delete_branch_on_merge,
                has_issues=True,
                # Dropping a repository from the file archives it on GitHub; it never deletes history.
                archive_on_destroy=True, opts=child(repo.name))
            github.BranchDefault(f"{name}-default-branch-{repo.name}", repository=r.name, branch=repo.default_branch,
                                 opts=child(repo.name))
            for slug, permission in repo.teams:
                github.TeamRepository(f"{name}-access-{slug}-{repo.name}", team_id=self.teams[slug].slug,
                                      repository=r.name, permission=permission, opts=child(f"{slug}:{repo.name}"))
            for label in repo.labels:
                github.IssueLabel(f"{name}-label-{repo.name}-{label.name}", repository=r.name, name=label.name,
                                  color=label.color, description=label.description,
                                  opts=child(f"{repo.name}:{label.name}"))

        for rule in org.protections:
            checks = ([github.BranchProtectionRequiredStatusCheckArgs(contexts=list(rule.required_checks), strict=rule.strict)]
                      if rule.required_checks else None)
            github.BranchProtection(
                f"{name}-protect-{rule.repository}-{rule.pattern}",
                # The provider takes the repository's name or node ID; the name (an output, so the
                # repository comes first) lets the offline policies tie each rule to its repository.
                repository_id=self.repositories[rule.repository].name, pattern=rule.pattern,
                enforce_admins=rule.enforce_admins, allows_force_pushes=rule.allow_force_pushes,
                allows_deletions=rule.allow_deletions,
                required_pull_request_reviews=[github.BranchProtectionRequiredPullRequestReviewArgs(
                    required_approving_review_count=rule.required_reviews, dismiss_stale_reviews=rule.dismiss_stale_reviews,
                    require_code_owner_reviews=rule.require_code_owner_reviews)],
                required_status_checks=checks, opts=child(f"{rule.repository}:{rule.pattern}"))
        self.register_outputs({"repositories": sorted(self.repositories), "teams": sorted(self.teams)})
