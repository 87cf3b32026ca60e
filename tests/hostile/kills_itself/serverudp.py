# Hostile: kills itself with SIGKILL before binding (no limit of the test did it).
import os
import signal

os.kill(os.getpid(), signal.SIGKILL)
