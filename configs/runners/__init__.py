"""Bundled runner profiles: Beam options for Dataflow and Flink (see pipeline/runner_options.py)."""
