"""A single-node Slurm cluster of Debian's packages (slurm-wlm, munge), started as root for one test.

munged, slurmctld and slurmd run in the foreground in a PID namespace of their own (``unshare --pid
--kill-child``), with a slurm.conf, a munge key, state, spool and logs in a temporary folder, on free
loopback ports. Plugins that need no systemd or cgroup: proctrack/linuxproc, task/none. Stopping the
namespace's first process ends every daemon, job step and job it holds, whatever state they are in.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "sinfo")
NODE = "sockgrade-node"
# A node that says it has 4 CPUs and 8 GiB (config_overrides: whatever the machine has), so that the
# example's tasks (4 CPUs, 4 GiB each) are admitted; they then run one at a time.
NODE_CPUS, NODE_MEMORY_MB = 4, 8192


def missing() -> str | None:
    """Why no cluster can be started here, or None."""
    if os.geteuid() != 0:
        return "the Slurm daemons are started as root, and this is not root"
    absent = [name for name in (*DAEMONS, *CLIENTS, "mungekey", "unshare") if not shutil.which(name)]
    if absent:
        return f"no {', '.join(absent)}: apt-get install slurm-wlm munge (.ci/run does)"
    return None


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def write_config(folder: Path) -> Path:
    """slurm.conf and the munge key in ``folder``; returns slurm.conf."""
    for sub in ("munge", "state", "spool", "log"):
        (folder / sub).mkdir(mode=0o700)
    subprocess.run(["mungekey", "--create", "--keyfile", str(folder / "munge" / "munge.key")], check=True)
    controller = socket.gethostname().split(".")[0]       # slurmctld runs only where this names its host
    ctld_port, slurmd_port = _free_ports(2)
    conf = folder / "slurm.conf"
    conf.write_text(f"""\
ClusterName=sockgrade
SlurmctldHost={controller}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/munge/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/log/slurmctld.log
SlurmdLogFile={folder}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
MinJobAge=3600
NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={controller} CPUs={NODE_CPUS} RealMemory={NODE_MEMORY_MB} State=UNKNOWN
PartitionName=grading Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")
    return conf


def _supervisor(folder: Path, conf: Path) -> str:
    """The namespace's first process: starts the daemons, waits while they run."""
    munge = folder / "munge"
    return f"""
munged -F --force --key-file {munge}/munge.key --socket {munge}/munge.socket --pid-file {munge}/munged.pid \
    --seed-file {munge}/munged.seed --log-file {folder}/log/munged.log &
for _ in $(seq 100); do [ -S {munge}/munge.socket ] && break; sleep 0.1; done
slurmctld -D -i -f {conf} &
slurmd -D -N {NODE} -f {conf} &
wait
"""


@contextlib.contextmanager
def cluster(folder: Path, ready_within: float = 60):
    """Yields the environment for the Slurm clients (``SLURM_CONF``, and ``SOCKGRADE_TEST_PIDNS``: the
    daemons' PID namespace, as /proc/PID/ns/pid names it); every daemon ends on leaving."""
    conf = write_config(folder)
    env = {**os.environ, "SLURM_CONF": str(conf)}
    log = open(folder / "log" / "daemons.log", "wb")
    supervisor = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "bash", "-c", _supervisor(folder, conf)],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    namespace = None
    try:
        namespace = _namespace_of_child(supervisor)
        _wait_for_node(env, supervisor, folder, ready_within)
        yield {**env, "SOCKGRADE_TEST_PIDNS": namespace}
    finally:
        # unshare's child is the namespace's init: killing it ends everything in the namespace.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(supervisor.pid, signal.SIGKILL)
        supervisor.wait()
        log.close()
        # The kernel kills the rest of the namespace after its init: wait until it has (bounded).
        deadline = time.monotonic() + 30
        while namespace and members(namespace) and time.monotonic() < deadline:
            time.sleep(0.1)


def _namespace_of_child(unshare: subprocess.Popen, within: float = 10) -> str:
    """The PID namespace of unshare's child (the namespace's init), once it is forked."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        children = Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children").read_text().split()
        if children:
            return os.readlink(f"/proc/{children[0]}/ns/pid")
        time.sleep(0.05)
    raise RuntimeError(f"unshare forked no child within {within:.0f} s")


def _wait_for_node(env: dict, supervisor: subprocess.Popen, folder: Path, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if supervisor.poll() is not None:
            raise RuntimeError(f"the Slurm daemons stopped at once:\n{logs(folder)}")
        state = subprocess.run(["sinfo", "-h", "-n", NODE, "-o", "%T"], env=env, capture_output=True, text=True)
        if state.returncode == 0 and state.stdout.strip() in ("idle", "mixed", "allocated"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"node {NODE} was not idle within {within:.0f} s:\n{logs(folder)}")


def logs(folder: Path) -> str:
    """The daemons' logs, last lines of each, to say why something did not happen."""
    parts = []
    for path in sorted((folder / "log").glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()[-25:]
        parts.append(f"--- {path.name}\n" + "\n".join(lines))
    return "\n".join(parts)


def _jobs(env: dict, job: str) -> dict[str, dict[str, str]]:
    """Array task (JOB_TASK) or job id -> its fields, as `scontrol show job` gives them."""
    shown = subprocess.run(["scontrol", "-o", "show", "job", job], env=env, capture_output=True, text=True)
    found = {}
    for line in shown.stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        task = fields.get("ArrayTaskId")
        found[f"{fields.get('ArrayJobId')}_{task}" if task else fields.get("JobId")] = fields
    return found


def job_state(env: dict, job: str) -> dict[str, str]:
    """Array task or job id -> its state (PENDING, RUNNING, COMPLETED, FAILED, ...)."""
    return {name: fields.get("JobState", "?") for name, fields in _jobs(env, job).items()}


def job_times(env: dict, job: str) -> dict[str, tuple[str, str]]:
    """Array task or job id -> (StartTime, EndTime), ISO times of one clock that compare as strings."""
    return {name: (fields["StartTime"], fields["EndTime"]) for name, fields in _jobs(env, job).items()}


def wait_for_jobs(env: dict, jobs: list[str], folder: Path, within: float) -> dict[str, str]:
    """Waits until none of ``jobs`` (and their array tasks) is pending or running; returns their states."""
    deadline = time.monotonic() + within
    while True:
        states = {}
        for job in jobs:
            states.update(job_state(env, job))
        if states and not any(s in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING") for s in states.values()):
            return states
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs still not done after {within:.0f} s: {states}\n{logs(folder)}")
        time.sleep(1)


def members(namespace: str) -> list[int]:
    """The processes of this machine in PID namespace ``namespace`` (as /proc/PID/ns/pid names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "ns" / "pid") == namespace:
                    found.append(int(entry.name))
    return found
