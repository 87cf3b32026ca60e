"""Running and supervising processes: one worker process per test, in its own namespace."""
