"""How each kind of test runs, imported by its kind's ``run`` only when a test of that kind runs."""
