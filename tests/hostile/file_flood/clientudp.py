# Hostile: a client that allocates memory without end.
hoard = []
while True:
    hoard.append(b'x' * (1 << 20))
