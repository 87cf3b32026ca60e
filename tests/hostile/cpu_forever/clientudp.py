# Hostile: a client that computes forever before sending anything.
n = 0
while True:
    n = (n + 1) % 1000
