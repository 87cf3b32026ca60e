"""Reporters: each reads the same AssignmentResult objects and writes one format."""
