"""Reports over a finished run's output directory: the terminal summary and the self-contained HTML file."""
