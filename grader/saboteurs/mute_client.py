"""Saboteur: a client that prints nothing, sends nothing and exits at once."""
