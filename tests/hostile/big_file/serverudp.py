# Hostile: writes a file without end in its folder before binding.
with open('big.bin', 'wb') as f:
    while True:
        f.write(b'x' * 65536)
