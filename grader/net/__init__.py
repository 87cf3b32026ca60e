"""The network harness: test-side clients, the recording relay, transcripts."""
