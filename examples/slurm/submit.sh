#!/usr/bin/env bash
# Grade a class on a Slurm cluster: SHARDS array tasks, then a merge that starts only when every task
# succeeded (afterok on the array job). Run it from a login node, with sockgrade's venv active (the jobs
# inherit PATH), from a folder every node sees:
#
#   examples/slurm/submit.sh CLASS [SHARDS] [RESULTS]
#
# CLASS: the class's folder or zip; SHARDS: how many array tasks (default 4); RESULTS: where the shards'
# files (RESULTS/shards/) and the merged outputs (RESULTS/out/) go (default sockgrade-results).
# The number of shards is given once: it sets both the array (--array=1-SHARDS) and each task's N.
# SOCKGRADE_STABLE=1 in the environment grades and merges with --stable (files that compare byte for
# byte with another run's, as tests/test_slurm_cluster.py compares them with one run on one machine).
set -euo pipefail
if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 CLASS [SHARDS] [RESULTS]" >&2
    exit 2
fi
class=$1
shards=${2:-4}
results=${3:-sockgrade-results}
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: SHARDS must be a whole number of at least 1, not '$shards'" >&2
    exit 2
fi
if [[ ! -e $class ]]; then
    echo "$0: $class does not exist: give the class's folder or zip" >&2
    exit 2
fi
command -v grade >/dev/null || { echo "$0: no grade command: activate sockgrade's venv first" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
export SOCKGRADE_CLASS SOCKGRADE_SHARDS=$shards SOCKGRADE_RESULTS
SOCKGRADE_CLASS=$(realpath "$class")
SOCKGRADE_RESULTS=$(realpath -m "$results")
mkdir -p "$SOCKGRADE_RESULTS/shards" "$SOCKGRADE_RESULTS/logs"
grading=$(sbatch --parsable --array="1-$shards" --export=ALL \
    --output="$SOCKGRADE_RESULTS/logs/shard-%a.log" "$here/grade-shard.sh")
grading=${grading%%;*}        # "JOBID;CLUSTER" on a federation
merging=$(sbatch --parsable --dependency="afterok:$grading" --kill-on-invalid-dep=yes --export=ALL \
    --output="$SOCKGRADE_RESULTS/logs/merge.log" "$here/merge.sh")
echo "grading: job $grading (tasks 1-$shards); merge: job ${merging%%;*}, once every task succeeded"
echo "outputs: $SOCKGRADE_RESULTS/out; logs: $SOCKGRADE_RESULTS/logs"
