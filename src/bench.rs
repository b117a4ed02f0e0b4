//! Benchmarks printed as tables (`isrwatch bench ...`).
