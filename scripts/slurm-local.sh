#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for test/slurm.test.ts (and by hand): Debian's
# slurm-wlm and munge (apt-get install slurm-wlm munge), everything under one folder.
#
#   scripts/slurm-local.sh start DIR   write DIR/slurm.conf and a munge key, start munged,
#                                      slurmctld and slurmd, wait until the node is idle
#   scripts/slurm-local.sh stop DIR    stop the three daemons started in DIR
#
# Then point the clients at it: SLURM_CONF=DIR/slurm.conf sbatch … (the start prints it).
#
# No systemd and no cgroups (a container may have neither): proctrack/linuxproc, task/none.
# Ports are free ones picked at start (another cluster on the machine is left alone). DIR
# and the folders above it must be searchable by all (munged checks its socket's path).
# The node declares MIGREPLAY_SLURM_CPUS CPUs (default 64) and MIGREPLAY_SLURM_MEM_MB MB
# (default 65536) whatever the machine has (SlurmdParameters=config_overrides), so that all
# 16 tasks of docs/scale-out.md's sweep.sbatch (--cpus-per-task=4, --mem=4G each) run at
# once, as on a real cluster; nothing is enforced (no cgroups), the tasks share the cores.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# Print a TCP port nobody listens on now.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# Send SIGTERM to the process whose id is in file $1 (if it runs), wait up to 10 s for it.
stop_pid() {
  local f=$1 pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

case $cmd in
start)
  for bin in munged mungekey slurmctld slurmd sinfo; do
    command -v "$bin" >/dev/null || { echo "slurm-local: $bin not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # munged wants its socket reachable by all (x on every folder up to it) and its key
  # readable by root alone.
  chmod 755 "$dir"
  mkdir -p -m 755 "$dir/munge" "$dir/state" "$dir/spool"
  [ -s "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"
  host=$(hostname -s)
  cpus=${MIGREPLAY_SLURM_CPUS:-64}
  mem=${MIGREPLAY_SLURM_MEM_MB:-65536}
  cat >"$dir/slurm.conf" <<EOF
ClusterName=migreplay
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/builtin
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=local NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=local Default=YES MaxTime=INFINITE State=UP
EOF
  munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  # Foreground daemons (-D), backgrounded here: their pid files name them for stop.
  slurmctld -D -i -f "$dir/slurm.conf" >"$dir/slurmctld.out" 2>&1 &
  slurmd -D -N local -f "$dir/slurm.conf" >"$dir/slurmd.out" 2>&1 &
  export SLURM_CONF=$dir/slurm.conf
  for _ in $(seq 300); do
    state=$(sinfo -h -N -n local -o %t 2>/dev/null || true)
    [ "$state" = idle ] && { echo "export SLURM_CONF=$dir/slurm.conf"; exit 0; }
    sleep 0.2
  done
  echo "slurm-local: the node is not idle after 60 s (state: ${state:-none}); logs in $dir" >&2
  tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/*.out >&2 2>/dev/null || true
  exit 1
  ;;
stop)
  [ -d "$dir" ] || exit 0
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munge/munged.pid"
  ;;
*) usage ;;
esac
