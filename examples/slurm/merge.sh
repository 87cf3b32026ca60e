#!/usr/bin/env bash
# The merge of submit.sh: starts once every array task succeeded (afterok). `grade merge` refuses, with
# exit status 1 and nothing written, a shard missing or given twice and shards of another class.
# No --fail-under: the job fails when the gradebook is wrong (or a test must be graded again), not
# because some students scored low, which Slurm would show as a failed merge.
#SBATCH --job-name=sockgrade-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --time=00:15:00
set -euo pipefail
results=${SOCKGRADE_RESULTS:?"set SOCKGRADE_RESULTS (submit.sh does)"}
out="$results/out"
exec grade merge "$results"/shards/shard-*.json --title "Class report: $(basename "${SOCKGRADE_CLASS:-class}")" \
    --json "$out/results.json" --csv "$out/grades.csv" --junit "$out/junit.xml" \
    --feedback "$out/feedback" --report "$out/report.html" ${SOCKGRADE_STABLE:+--stable}
