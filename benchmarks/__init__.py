"""Speed and memory benchmarks; each prints one JSON object (see benchmarks/README.md)."""
