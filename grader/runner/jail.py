"""Run one student program with less than the sandbox: ``python -S -I jail.py CONFIG -- ARGV...``.

Below level ``sandbox`` (no usable bubblewrap, or the teacher asked for less)
every student program still starts through this small launcher, which the
grader runs as root (of the machine, or of the test's user namespace):

- with ``namespaces`` (level ``netns``): a mount namespace of its own in which
  every mount is read-only but for its own copy of the submission; the
  grader's folders are covered by empty ones (the specs, the reference
  programs, the class, the result cache, the grader's user's home, the
  grader's temporary folder with every other test's copy and the fork server's
  socket), the machine's world-writable folders by empty ones of its own, and
  the runtime brought back read-only without its installed packages
  (``sandbox.runtime_binds``); a PID namespace of its own with its own
  ``/proc`` (it sees no process of the grader); the test's IPC namespace, whose
  System V shared memory ends with its last user (``worker.py``);
- a user of its own (``uid``) when the grader is root of the machine; in a user
  namespace, where only root is mapped, it stays that root without any
  capability;
- no capabilities (the bounding set emptied), no_new_privs, and death with
  the launcher.

The launcher waits for the program and exits with its status, or with
128 + N when signal N killed it (as bubblewrap does); in a PID namespace a
process of the jail stays as its init, as bubblewrap's does. It imports only
the standard library, and runs under ``python -I``: it is root in the student's
folder, which must not be able to shadow a module it imports (hence its own
small wrappers of mount and prctl rather than ``linux.py``'s). The config is
JSON: {"namespaces", "uid", "processes", "hide", "binds", "links", "masks", "workdir", "tmp", "tmp_size"}.
"""
import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER = 0x00020000, 0x20000000, 0x10000000
# The machine's world-writable folders: shared by every program, a place to leave answers for another
# student (or to fill). Each program gets empty ones of its own, as in the sandbox.
SHARED = ("/tmp", "/var/tmp", "/dev/shm")
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REMOUNT, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 4096, 32, 16384, 1 << 18)
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1   # 442 on every arch
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
FAILED = 125     # the launcher itself failed (as bwrap and env do)

libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    _check(libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                      data and data.encode()), f"mount {target}")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def blocking(path: str) -> str | None:
    """The outermost folder above ``path`` that other users cannot cross (a 0700 home), if any."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts)):
        folder = "/" + "/".join(parts[:depth])
        try:
            if not os.stat(folder).st_mode & 0o001:
                return folder
        except OSError:
            return None
    return None


def _outermost(folders: list[str]) -> list[str]:
    return sorted({c for c in folders if not any(_inside(c, o) and c != o for o in folders)})


def _read_only_everywhere() -> None:
    """Every mount of this namespace read-only (mount_setattr with AT_RECURSIVE; else one by one)."""
    attr = (ctypes.c_uint64 * 4)(MOUNT_ATTR_RDONLY, 0, 0, 0)
    if libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr)) == 0:
        return
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].encode().decode("unicode_escape") for line in f]
    for point in reversed(points):      # flags the kernel keeps locked must be given again
        try:
            kept = os.statvfs(point).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            continue
        libc.mount(None, point.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | kept, None)


def cover(config: dict) -> None:
    """In new mount and PID namespaces: the file system read-only but for the program's own folder and
    empty temporary folders; the grader's folders, the homes and the temporary folder (every other
    test's copy) covered by empty ones; the runtime brought back, read-only, without its packages."""
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    workdir = config["workdir"]
    binds = [(src, dest) for src, dest in config["binds"] if os.path.lexists(src)]
    writable = [d for d in (config["tmp"], *SHARED) if os.path.isdir(d)]
    # A folder the student's user could not cross on the way to the runtime (a pyenv under /root) is
    # covered too, with the runtime brought back.
    hidden = [h for h in config["hide"] if os.path.isdir(h) and not os.path.islink(h)]
    covered = _outermost(writable + hidden + [b for b in map(blocking, [dest for _, dest in binds] + [workdir]) if b])
    back = [(src, dest) for src, dest in binds if any(_inside(dest, c) for c in covered)]
    handles = [(os.open(src, os.O_PATH), dest) for src, dest in back]
    own = os.open(workdir, os.O_PATH | os.O_DIRECTORY)
    for folder in covered:
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0755,size={config['tmp_size']}")
    for fd, dest in handles + [(own, workdir)]:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(dest, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
            open(dest, "a").close()
        _mount(f"/proc/self/fd/{fd}", dest, None, MS_BIND | MS_REC)
        os.close(fd)
    for target, link in config["links"]:
        if any(_inside(link, c) for c in covered) and not os.path.lexists(link):
            os.makedirs(os.path.dirname(link), mode=0o755, exist_ok=True)
            os.symlink(target, link)
    for path in config["masks"]:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
    for path in config["hide"]:
        if os.path.isfile(path) and not _inside(workdir, path):
            _mount("/dev/null", path, None, MS_BIND)
    _read_only_everywhere()
    # Empty ones of its own, as in the sandbox; one inside another (TMPDIR=/tmp/x) is no mount of its own.
    for folder in (w for w in writable if w in covered):
        _mount(None, folder, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV)
        os.chmod(folder, 0o1777)
    _mount(None, workdir, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV)
    os.chdir(workdir)


def count_processes_apart(limit: int) -> None:
    """A user namespace of the program's own, its root mapped to ours, and at most ``limit`` processes
    and threads in it: the kernel counts a user's processes per user namespace, so those of the
    grader's user elsewhere (the worker, the reference programs) do not count. Made before the limit
    is set, so that the namespace's parent counts without one."""
    _check(libc.unshare(CLONE_NEWUSER), "unshare")
    for name, line in (("setgroups", "deny"), ("uid_map", "0 0 1"), ("gid_map", "0 0 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(line)
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def drop_privileges(uid) -> None:
    """No capability now or after exec (root's come from the bounding set), then the user of its own."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break           # EINVAL: past the last capability this kernel knows
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def main() -> int:
    config = json.loads(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1:]
    launcher = os.getpid()
    try:
        if config["namespaces"]:
            cover(config)
        child = os.fork()
    except OSError as exc:
        print(f"sockgrade jail: {exc}", file=sys.stderr)
        return FAILED
    if child == 0:
        try:
            if config["namespaces"]:
                # The first process of the new PID namespace: it mounts the namespace's /proc, then stays
                # as its init (reaping orphans), for the kernel ignores signals an init sends itself:
                # the program, its child, gets them as any program does.
                _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                if config["processes"] is not None:
                    count_processes_apart(config["processes"])
            drop_privileges(config["uid"])
            if config["namespaces"]:
                program = os.fork()
                if program:
                    os._exit(_wait_for(program))
            _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
            if not config["namespaces"] and os.getppid() != launcher:
                os._exit(FAILED)        # the launcher died before the line above
            os.execvp(argv[0], argv)      # a role's command names its program (gcc, java) on the PATH
        except OSError as exc:
            print(f"sockgrade jail: {exc}", file=sys.stderr)
        os._exit(FAILED)
    return _wait_for(child)


def _wait_for(pid: int) -> int:
    """Wait for ``pid``, reaping any other child on the way; its exit status, or 128 + N for signal N."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return FAILED
        if done == pid:
            return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


if __name__ == "__main__":
    os._exit(main())
