"""make bench: load, back-office and intake benchmarks (run as scripts)."""
