# Hostile: leaves a double-forked daemon behind and exits at once, without binding.
import os
import sys

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', 'HOSTILE-MARKER'])
    os._exit(0)
print('Bind UDP on 9999')
