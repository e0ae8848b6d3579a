"""Infrastructure helpers: the offline plan runner (Pulumi mocks), inventory, diff, policies,
and the plain-data model the Pulumi program in infra/ builds from."""
