# Hostile: allocates memory without end before binding.
hoard = []
while True:
    hoard.append(bytearray(1 << 20))
