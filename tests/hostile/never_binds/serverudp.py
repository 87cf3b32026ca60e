# Hostile: never binds. Starts a helper that leaves its session, then sleeps forever.
import subprocess
import sys
import time

subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(600)', 'HOSTILE-MARKER'])
print('Bind UDP on 9999')   # not true
while True:
    time.sleep(1)
