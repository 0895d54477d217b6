#!/bin/bash
# Starts a one-node Slurm cluster on this machine, for trying out and testing the job-array
# scripts (submit.sh, array.sbatch, merge.sbatch) without a real cluster. Run as root.
#
# Usage: scripts/slurm/start-local-cluster.sh [STATE_DIR]
#
# STATE_DIR (default /tmp/recoverysim-slurm) receives slurm.conf and the daemons' state,
# spool, logs and pid files. The script starts munged if it is not running (creating
# /etc/munge/munge.key if missing), then slurmctld and slurmd, and waits until the node is
# idle. Its only output on stdout is the line to run in the caller's shell:
#     eval "$(scripts/slurm/start-local-cluster.sh)"     # sets SLURM_CONF
# Progress and errors go to stderr. Running it again for a running cluster only says so.
# Environment: SLURMCTLD_PORT (default 6817) and SLURMD_PORT (default 6818).
# Stop the cluster with scripts/slurm/stop-local-cluster.sh STATE_DIR.
set -euo pipefail

state_dir=${1:-/tmp/recoverysim-slurm}
mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)
conf=$state_dir/slurm.conf
node=$(hostname -s)
ctld_port=${SLURMCTLD_PORT:-6817}
slurmd_port=${SLURMD_PORT:-6818}
timeout_s=30

say() { echo "start-local-cluster: $*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (slurmd starts jobs as their submitting user)"
for tool in munged slurmctld slurmd sinfo scontrol; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian/Ubuntu: apt-get install slurm-wlm munge)"
done

# running_pid NAME PIDFILE: prints the pid if that file names a live NAME process using our conf.
running_pid() {
    local pid
    [[ -s $2 ]] || return 1
    pid=$(<"$2")
    [[ -r /proc/$pid/comm && $(<"/proc/$pid/comm") == "$1" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$conf" || return 1
    echo "$pid"
}

show_logs() {
    local log
    for log in "$state_dir"/log/slurmctld.log "$state_dir"/log/slurmd.log; do
        [[ -f $log ]] || continue
        say "last lines of $log:"
        tail -n 25 "$log" >&2
    done
}

# --- munge: slurm authenticates every message with it --------------------------------------
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating /etc/munge/munge.key"
        mkdir -p /etc/munge
        mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null \
            || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    say "starting munged"
    runuser -u munge -- munged </dev/null || die "munged did not start; see /var/log/munge/munged.log"
    # Remember that we started it, so that stop-local-cluster.sh stops it again.
    for _ in $(seq 50); do [[ -s /run/munge/munged.pid ]] && break; sleep 0.1; done
    [[ -s /run/munge/munged.pid ]] && cp /run/munge/munged.pid "$state_dir/munged.pid"
    munge -n </dev/null | unmunge >/dev/null || die "munge does not work; see /var/log/munge/munged.log"
fi

export SLURM_CONF=$conf
ctld_pid=$(running_pid slurmctld "$state_dir/run/slurmctld.pid" || true)
slurmd_pid=$(running_pid slurmd "$state_dir/run/slurmd.pid" || true)

if [[ -n $ctld_pid && -n $slurmd_pid ]]; then
    say "already running with $state_dir (slurmctld $ctld_pid, slurmd $slurmd_pid)"
    echo "export SLURM_CONF=$conf"
    exit 0
fi
if [[ -z $ctld_pid$slurmd_pid ]]; then
    # Another cluster (another state dir, or a system one) would hold the same ports.
    for daemon in slurmctld slurmd; do
        if other=$(pgrep -a -x "$daemon"); then
            die "a $daemon not started with $state_dir is running ($other); stop it first"
        fi
    done
fi

# --- slurm.conf ------------------------------------------------------------------------------
mkdir -p "$state_dir"/{ctld,spool,log,run}
cpus=$(nproc)
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
margin_mb=$(( mem_mb / 20 > 512 ? mem_mb / 20 : 512 ))
real_mb=$(( mem_mb - margin_mb > 256 ? mem_mb - margin_mb : 256 ))
# Jobs that ask for no memory get this much per CPU (without it they would get the whole node).
def_mem=$(( real_mb / cpus < 1024 ? real_mb / cpus : 1024 ))

cat >"$conf" <<EOF
# One-node Slurm cluster written by scripts/slurm/start-local-cluster.sh.
ClusterName=recoverysim
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/spool
SlurmctldPidFile=$state_dir/run/slurmctld.pid
SlurmdPidFile=$state_dir/run/slurmd.pid
SlurmctldLogFile=$state_dir/log/slurmctld.log
SlurmdLogFile=$state_dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info

# No cgroups, no accounting database: nothing beyond the two daemons.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true

SchedulerType=sched/backfill
# Schedule at once when jobs are submitted or end, not after the default 3 s delay.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$def_mem
ReturnToService=2

# Short timeouts: a local cluster should react in seconds.
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
Waittime=0
MinJobAge=300

NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons -------------------------------------------------------------------------------
if [[ -z $ctld_pid ]]; then
    say "starting slurmctld ($conf)"
    slurmctld -f "$conf" </dev/null || { show_logs; die "slurmctld did not start"; }
fi
if [[ -z $slurmd_pid ]]; then
    say "starting slurmd"
    slurmd -f "$conf" </dev/null || { show_logs; die "slurmd did not start"; }
fi

say "waiting for node $node to be idle"
state=""
for _ in $(seq $(( timeout_s * 4 ))); do
    state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null | head -n 1 || true)
    [[ $state == idle ]] && break
    sleep 0.25
done
if [[ $state != idle ]]; then
    show_logs
    die "node $node is '${state:-not reported}' after ${timeout_s} s, not idle (logs in $state_dir/log)"
fi
say "cluster up: partition debug, node $node ($cpus CPUs, ${real_mb} MB)"
echo "export SLURM_CONF=$conf"
