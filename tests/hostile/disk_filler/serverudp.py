# Hostile: writes files of half a MiB in its folder without end (each under the file size limit) before binding.
n = 0
while True:
    with open('filler-%d.bin' % n, 'wb') as f:
        f.write(b'x' * (512 << 10))
    n += 1
