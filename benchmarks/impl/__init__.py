"""Implementations of the workloads, one module per tool, with a common interface (base.Impl)."""
