"""One test's run: what the engine asks (JobRequest), the worker's context for it (Job: its programs, its
transcript, its variables), what comes back (Outcome), and the ways a test ends early."""
