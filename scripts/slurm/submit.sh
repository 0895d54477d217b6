#!/bin/bash
# Runs a scenario on a Slurm cluster as a job array of shards plus a merge job:
# array.sbatch runs shard I of SHARDS in array task I (writing OUTDIR/part_I.h5), and
# merge.sbatch, started once every task has succeeded, writes OUTDIR/results.h5.
#
# Usage: scripts/slurm/submit.sh [--wait] SCENARIO SHARDS OUTDIR [recoverysim run options...]
#   --wait    wait for the merge job and exit with its status (0 when OUTDIR/results.h5 is
#             written); without it, print the job ids and return at once
#   options   passed to every shard's `recoverysim run`, e.g. --replicates 200 --set days=365
#
# Environment (all optional):
#   RECOVERYSIM     recoverysim executable (default: recoverysim on PATH, else this
#                   checkout's build/release/recoverysim); it must be reachable from the nodes
#   CPUS_PER_TASK   CPUs, hence threads, per shard      (default in array.sbatch: 1)
#   MEM             memory per shard, e.g. 4G           (default in array.sbatch: 2G)
#   TIME            wall-clock limit per shard          (default in array.sbatch: 02:00:00)
#   PARTITION       partition for both jobs             (default: the cluster's default)
#   ACCOUNT         account to charge both jobs to
#   MAX_RUNNING     at most this many shards at once (--array=1-N%MAX_RUNNING)
#   OUTPUT          merged results file name in OUTDIR (default results.h5)
# Slurm logs go to OUTDIR/slurm-ARRAYJOB_SHARD.out and OUTDIR/slurm-MERGEJOB.out.
# Submitting the same command again with the same OUTDIR continues interrupted shards from
# their finished work (the shards run with --resume).
set -euo pipefail

usage() { sed -n 's/^# \{0,1\}//; 6,9p' "$0" >&2; exit 2; }
fail() { echo "submit.sh: error: $*" >&2; exit 2; }

wait_for_merge=false
if [[ ${1:-} == --wait ]]; then
    wait_for_merge=true
    shift
fi
[[ $# -ge 3 ]] || usage
scenario=$1 shards=$2 outdir=$3
shift 3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v sbatch >/dev/null || fail "sbatch not found: is this a Slurm login node?"
[[ $shards =~ ^[1-9][0-9]*$ ]] || fail "SHARDS must be a positive number, not '$shards'"
[[ -r $scenario ]] || fail "cannot read the scenario $scenario"

# The jobs get absolute paths, so they do not depend on the directory they start in.
absolute() { if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
scenario=$(absolute "$scenario")
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
recoverysim=${RECOVERYSIM:-}
if [[ -z $recoverysim ]]; then
    recoverysim=$(command -v recoverysim || echo "$here/../../build/release/recoverysim")
fi
if [[ $recoverysim == */* && -f $recoverysim ]]; then
    recoverysim=$(cd "$(dirname "$recoverysim")" && pwd)/$(basename "$recoverysim")
fi
[[ -x $recoverysim ]] || command -v "$recoverysim" >/dev/null \
    || fail "cannot run $recoverysim (set RECOVERYSIM to the recoverysim executable)"

export SCENARIO=$scenario SHARDS=$shards OUTDIR=$outdir RECOVERYSIM=$recoverysim
export OUTPUT=${OUTPUT:-results.h5}

common=(--parsable --export=ALL)
[[ -z ${PARTITION:-} ]] || common+=(--partition "$PARTITION")
[[ -z ${ACCOUNT:-} ]] || common+=(--account "$ACCOUNT")
shard_resources=()
[[ -z ${CPUS_PER_TASK:-} ]] || shard_resources+=(--cpus-per-task "$CPUS_PER_TASK")
[[ -z ${MEM:-} ]] || shard_resources+=(--mem "$MEM")
[[ -z ${TIME:-} ]] || shard_resources+=(--time "$TIME")
array=1-$shards
[[ -z ${MAX_RUNNING:-} ]] || array+=%$MAX_RUNNING

array_job=$(sbatch "${common[@]}" "${shard_resources[@]}" --array "$array" \
    --output "$outdir/slurm-%A_%a.out" "$here/array.sbatch" "$@")
array_job=${array_job%%;*}
# If a shard fails, the merge can never run: --kill-on-invalid-dep cancels it instead of
# leaving it pending for ever.
merge_job=$(sbatch "${common[@]}" --dependency "afterok:$array_job" --kill-on-invalid-dep=yes \
    --output "$outdir/slurm-%j.out" "$here/merge.sbatch")
merge_job=${merge_job%%;*}

echo "array job $array_job: $shards shard(s) of $scenario -> $outdir/part_*.h5"
echo "merge job $merge_job: after every shard succeeded -> $outdir/$OUTPUT"
$wait_for_merge || exit 0

# job_field JOB FIELD: the field of the job's (first) record in `scontrol show job`.
job_field() {
    scontrol show job -o "$1" 2>/dev/null | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

echo "waiting for merge job $merge_job"
last="" unknown=0
while :; do
    state=$(job_field "$merge_job" JobState || true)
    if [[ -z $state ]]; then
        (( ++unknown < 30 )) || fail "slurm no longer reports merge job $merge_job"
    else
        unknown=0
        [[ $state == "$last" ]] || echo "merge job $merge_job: $state"
        last=$state
        case $state in
            PENDING|CONFIGURING|RUNNING|COMPLETING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED|RESIZING|SUSPENDED|STAGE_OUT|SIGNALING) ;;
            *) break ;;
        esac
    fi
    sleep 1
done

if [[ $state == COMPLETED ]]; then
    echo "done: $outdir/$OUTPUT"
    exit 0
fi
echo "submit.sh: merge job $merge_job ended $state ($(job_field "$merge_job" Reason || true))" >&2
echo "shards (array job $array_job):" >&2
scontrol show job -o "$array_job" 2>/dev/null | tr ' ' '\n' \
    | awk -F= '$1 == "ArrayTaskId" {task = $2} $1 == "JobState" {state = $2}
               $1 == "ExitCode" {print task, state, $2}' | sort -n \
    | while read -r task state code; do
        echo "  shard $task: $state, exit code $code" >&2
        log=$outdir/slurm-${array_job}_$task.out
        if [[ $state != COMPLETED && -f $log ]]; then
            tail -n 3 "$log" | sed 's/^/    | /' >&2
        fi
    done || true
echo "logs: $outdir/slurm-${array_job}_*.out $outdir/slurm-$merge_job.out" >&2
code=$(job_field "$merge_job" ExitCode || true)
code=${code%%:*}
[[ $code =~ ^[0-9]+$ && $code -ne 0 ]] && exit "$code"
exit 1
