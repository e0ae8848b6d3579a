"""The plumbing Pulumi program: one ComponentResource per concern; see compose.py."""
