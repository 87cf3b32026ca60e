"""Grading: the engine that runs a submission's tests, class batches, the cache, scoring."""
