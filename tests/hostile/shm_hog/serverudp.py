# Hostile: maps 1.5 GiB of shared anonymous memory (which no per-process data limit counts) and touches it, before binding.
import mmap

shared = mmap.mmap(-1, 1536 << 20)          # MAP_SHARED: shared memory, as /dev/shm or a tmpfs would be
for offset in range(0, len(shared), 4096):
    shared[offset] = 1
print('held 1.5 GiB of shared memory')
