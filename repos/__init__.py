"""Repository-level logic: how the files of one repository become training samples (DeepSeek-Coder §2.2)."""
