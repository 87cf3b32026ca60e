#!/usr/bin/env bash
# One shard of a class: array task K of --array=1-N grades shard K/N. Submitted by submit.sh, which sets
# SOCKGRADE_CLASS, SOCKGRADE_SHARDS (N), SOCKGRADE_RESULTS and SOCKGRADE_STABLE. SOCKGRADE_DRY_RUN=1
# prints the grade command instead of running it (what tests/test_deploy_examples.py checks).
#SBATCH --job-name=sockgrade-shard
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
set -euo pipefail

# The shard of array task $1 of $2 shards, as K/N; task ids run from 1 to N.
shard_of_task() {
    local task=$1 shards=$2
    if ! [[ $task =~ ^[0-9]+$ && $shards =~ ^[1-9][0-9]*$ ]] || (( task < 1 || task > shards )); then
        echo "grade-shard.sh: array task '$task' is not one of 1..$shards: submit with --array=1-$shards" >&2
        return 1
    fi
    echo "$task/$shards"
}

main() {
    local class=${SOCKGRADE_CLASS:?"set SOCKGRADE_CLASS (submit.sh does)"}
    local shards=${SOCKGRADE_SHARDS:?"set SOCKGRADE_SHARDS (submit.sh does)"}
    local results=${SOCKGRADE_RESULTS:-sockgrade-results}
    local task=${SLURM_ARRAY_TASK_ID:?"not an array task: submit with sbatch --array=1-N (submit.sh does)"}
    local shard out
    shard=$(shard_of_task "$task" "$shards")
    out="$results/shards/shard-${shard%/*}.json"
    # The default cache (~/.cache/sockgrade) is shared by the nodes when the home folder is:
    # grading the class again regrades only the students whose files changed.
    local command=(grade "$class" --shard "$shard" --isolation strict --json "$out" ${SOCKGRADE_STABLE:+--stable})
    if [[ -n ${SOCKGRADE_DRY_RUN:-} ]]; then
        echo "${command[*]}"
        return 0
    fi
    mkdir -p "$results/shards"
    rm -f "$out"              # a task run again never leaves an older file behind
    exec "${command[@]}"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
