#!/bin/bash
# Stops the one-node Slurm cluster started by start-local-cluster.sh with the same STATE_DIR:
# cancels the jobs still queued or running, stops slurmd and slurmctld (from their pid files),
# and stops munged only if start-local-cluster.sh started it. Does nothing if not running.
#
# Usage: scripts/slurm/stop-local-cluster.sh [STATE_DIR]     (default /tmp/recoverysim-slurm)
set -euo pipefail

state_dir=${1:-/tmp/recoverysim-slurm}
say() { echo "stop-local-cluster: $*" >&2; }
if [[ ! -d $state_dir ]]; then
    say "no $state_dir: nothing to stop"
    exit 0
fi
state_dir=$(cd "$state_dir" && pwd)
conf=$state_dir/slurm.conf

# running_pid NAME PIDFILE [TEXT]: prints the pid if that file names a live NAME process
# (whose command line contains TEXT, when given).
running_pid() {
    local pid
    [[ -s $2 ]] || return 1
    pid=$(<"$2")
    [[ -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$1" ]] || return 1
    [[ -z ${3:-} ]] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$3" || return 1
    echo "$pid"
}

# stop NAME PID: SIGTERM, then SIGKILL if it is still there after 15 s.
stop() {
    say "stopping $1 ($2)"
    kill -TERM "$2" 2>/dev/null || return 0
    for _ in $(seq 150); do
        kill -0 "$2" 2>/dev/null || return 0
        sleep 0.1
    done
    say "$1 ($2) ignored SIGTERM; killing it"
    kill -KILL "$2" 2>/dev/null || true
}

ctld_pid=$(running_pid slurmctld "$state_dir/run/slurmctld.pid" "$conf" || true)
slurmd_pid=$(running_pid slurmd "$state_dir/run/slurmd.pid" "$conf" || true)

# Cancel what is left, so that no job keeps running once its daemons are gone.
if [[ -n $ctld_pid ]]; then
    export SLURM_CONF=$conf
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u || true)
    if [[ -n $jobs ]]; then
        say "cancelling job(s) ${jobs//$'\n'/ }"
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null || true
        for _ in $(seq 100); do
            [[ -z $(squeue -h -o %A 2>/dev/null || true) ]] && break
            sleep 0.1
        done
    fi
fi

[[ -z $ctld_pid ]] || stop slurmctld "$ctld_pid"
[[ -z $slurmd_pid ]] || stop slurmd "$slurmd_pid"
if [[ -z $ctld_pid$slurmd_pid ]]; then
    say "slurmctld and slurmd for $state_dir are not running"
fi

if munged_pid=$(running_pid munged "$state_dir/munged.pid"); then
    stop munged "$munged_pid"
fi
rm -f "$state_dir/munged.pid"
