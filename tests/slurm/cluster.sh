#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the duration of one command:
#   tests/slurm/cluster.sh pytest -m slurm tests/slurm
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and root (slurmd
# starts job steps as the submitting user). Everything lives in a temporary directory:
# slurm.conf (slurmctld and slurmd on localhost, partition `regular` as the default, node
# features cpu and gpu as Perlmutter's constraints), a private munged socket, spool and
# logs. The client commands find slurm.conf where a cluster keeps it, /etc/slurm/slurm.conf
# (a link made here; the Slurm executor plugin's job step drops SLURM_CONF from the
# environment of the srun it starts), so the script refuses to run where one exists.
# The daemons are stopped and the link removed when the command ends, whatever its exit
# status; that status is this script's.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "$0: needs root (slurmd, and the link in /etc/slurm)" >&2
    exit 2
fi
for tool in munged slurmctld slurmd sbatch; do
    command -v "$tool" > /dev/null || { echo "$0: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 2; }
done

SYSTEM_CONF=/etc/slurm/slurm.conf
if [ -e "$SYSTEM_CONF" ] || [ -L "$SYSTEM_CONF" ]; then
    echo "$0: $SYSTEM_CONF exists: this machine has a Slurm configuration; not touching it" >&2
    exit 2
fi
STATE=$(mktemp -d /tmp/evenet-slurm.XXXXXX)
chmod 755 "$STATE"
HOST=$(hostname -s)
CPUS=$(nproc --all)
# More CPUs than the machine has (config_overrides): a Snakemake job in its allocation, the
# two training ranks and a test's own process fit at once on a 2-core machine.
[ "$CPUS" -lt 4 ] && CPUS=4

stop() {
    local status=$?
    for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$STATE/munged.pid"; do
        if [ -s "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2> /dev/null || true
        fi
    done
    sleep 1
    for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$STATE/munged.pid"; do
        if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2> /dev/null; then
            kill -9 "$(cat "$pidfile")" 2> /dev/null || true
        fi
    done
    if [ "$status" -ne 0 ]; then
        echo "--- slurmctld log (tail)" >&2; tail -n 30 "$STATE/slurmctld.log" >&2 2> /dev/null || true
        echo "--- slurmd log (tail)" >&2; tail -n 30 "$STATE/slurmd.log" >&2 2> /dev/null || true
    fi
    if [ "$(readlink "$SYSTEM_CONF" 2> /dev/null)" = "$STATE/slurm.conf" ]; then
        rm -f "$SYSTEM_CONF"
    fi
    rm -rf "$STATE"
    exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

mkdir -p "$STATE/ctld" "$STATE/spool"
cat > "$STATE/slurm.conf" << EOF
ClusterName=evenet-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge.socket
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Jobs stay visible to squeue for 5 minutes after they end (the profile's status command).
MinJobAge=300
KillWait=30
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=16000 Feature=cpu,gpu State=UNKNOWN
PartitionName=regular Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p "$(dirname "$SYSTEM_CONF")"
ln -s "$STATE/slurm.conf" "$SYSTEM_CONF"
export SLURM_CONF=$SYSTEM_CONF

munged --socket="$STATE/munge.socket" --pid-file="$STATE/munged.pid" --log-file="$STATE/munged.log" \
    --seed-file="$STATE/munged.seed" --key-file=/etc/munge/munge.key --force
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

# Ready when the node accepts jobs.
for _ in $(seq 60); do
    if sinfo -h -N -o "%t" 2> /dev/null | grep -Eq "^(idle|mix)"; then
        break
    fi
    sleep 1
done
sinfo -N -o "%N %t %c %f %P" || true
"$@"
