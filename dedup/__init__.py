"""Plain-Python deduplication: exact hashing, shingling, MinHash signatures, LSH banding, components."""
