"""The benchmark's own tests: its machinery, not its figures (`make test` runs them)."""
