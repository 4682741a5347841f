"""Stored files (tệp): a row per file (SHA-256, size, sniffed media type, original name) whose bytes live in
the object store under a key no user input can steer."""
