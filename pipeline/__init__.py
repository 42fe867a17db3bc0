"""Beam wiring of the codecorpus stages: sources, transforms, sinks, options and the CLI.

Importing this package imports no Beam: `pipeline.record` and `pipeline.config` are plain modules.
"""
