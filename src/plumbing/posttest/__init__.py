"""Post-release testing: install a published release into a throwaway cluster, smoke-test it,
and record the verdict beside the release (see docs/post-release-testing.md)."""
