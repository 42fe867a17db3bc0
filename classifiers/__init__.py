"""Plain-Python classification: BPE tokenizer, fastText training and scoring, recall selection."""
