# Hostile: holds memory where no per-process limit looks, before binding: System V shared memory segments
# it detaches at once, memfd files it writes and keeps open, and four children that each map and touch
# 256 MiB of shared anonymous memory. Then counts what it still holds (segments that still exist, bytes
# in its memfd files, children alive), prints `still holding N MiB`, and serves as it should.
import ctypes
import mmap
import os
import socket
import time

MIB = 1 << 20
held = 0


def holding(mib):
    global held
    held += mib
    print('holding', held, 'MiB', flush=True)


libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
segments = []
for _ in range(8):                      # System V: attach, touch, detach, keep the segment
    sid = libc.shmget(0, 32 * MIB, 0o1600)      # IPC_PRIVATE, IPC_CREAT | 0600
    if sid < 0:
        break
    address = libc.shmat(sid, None, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        break
    ctypes.memset(address, 1, 32 * MIB)
    libc.shmdt(ctypes.c_void_p(address))
    segments.append(sid)
    holding(32)
files = []
for _ in range(8):                      # memfd: shared memory no process maps
    try:
        fd = os.memfd_create('hoard')
        for _ in range(16):
            os.write(fd, b'x' * MIB)
    except OSError:
        break
    files.append(fd)
    holding(16)
children = []
for _ in range(4):                      # children that share a map each, and touch it
    pid = os.fork()
    if pid == 0:
        try:
            shared = mmap.mmap(-1, 256 * MIB)
            for offset in range(0, len(shared), 4096):
                shared[offset] = 1
        except (OSError, MemoryError):
            os._exit(1)
        time.sleep(3600)
    children.append(pid)
time.sleep(2)
status = ctypes.create_string_buffer(512)
kept = sum(32 for sid in segments if libc.shmctl(sid, 2, status) == 0)      # IPC_STAT: it still exists
written = sum(os.fstat(fd).st_size for fd in files) // MIB
alive = sum(256 for pid in children if os.waitpid(pid, os.WNOHANG) == (0, 0))
print('still holding', kept + written + alive, 'MiB:', kept, 'in segments,', written, 'in files,', alive,
      'in children', flush=True)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999')
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
