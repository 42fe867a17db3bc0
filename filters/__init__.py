"""Plain-Python document rules: code file rules, language detection, HTML text, decontamination, URLs."""
