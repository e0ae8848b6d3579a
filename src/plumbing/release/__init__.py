"""Release logic: plans, rendering, image checks, publishing, status."""
