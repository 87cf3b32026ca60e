# Hostile: computes forever before binding.
n = 0
while True:
    n += 1
