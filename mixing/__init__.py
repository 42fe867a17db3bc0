"""The training mix as plain code (no Beam): token counting, FIM, the sampling plan, the manifest."""
