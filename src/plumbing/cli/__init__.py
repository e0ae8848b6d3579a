"""Command-line entry points. Each command lives in its own module and is imported only when
it runs, so `release nightly` never pays for the cloud SDKs other commands use."""
