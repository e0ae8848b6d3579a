"""plumbing: CI/CD plumbing as code for Tekton organisations."""

__version__ = "0.1.0"
