#!/usr/bin/env bash
# local_slurm.sh - a throwaway single-node SLURM cluster on Debian 12, as root, without systemd.
# Used by tests/test_slurm.py (and by hand: see README, "Run on a SLURM cluster"). Adapted
# from the developers' tested recipe; the pitfalls it avoids are noted where they matter.
#
# Usage: local_slurm.sh {start|stop|status|install}
#   install  apt-get install slurmctld slurmd slurm-client munge (no recommends), if missing
#   start    install if needed, write /etc/slurm/slurm.conf (one node = this host, one partition),
#            start munged, slurmctld and slurmd as plain daemons, wait for the node to be idle,
#            run a smoke test (srun + sbatch). Idempotent: a running cluster is left alone.
#   stop     cancel the jobs of this cluster, then SIGTERM (later SIGKILL) ONLY the daemon PIDs
#            that `start` recorded in $LOCAL_SLURM_STATE_DIR. Never kills anything by name.
#   status   show the recorded daemons and sinfo/squeue.
#
# Environment:
#   LOCAL_SLURM_PARTITION    partition name (default: debug); it is the Default=YES partition
#   LOCAL_SLURM_STATE_DIR    where PIDs are recorded (default: /run/local-slurm)
#   LOCAL_SLURM_MIN_JOB_AGE  seconds squeue keeps finished jobs (default: 600). The snakemake
#                            slurm plugin needs >= 3 x its init-seconds-before-status-checks
#                            to use squeue for status (sacct does not work without slurmdbd).
#
# Snakemake on it: profiles/slurm with slurm_partition=debug; without slurmdbd the executor
# plugin needs `slurm-status-command: squeue`, else it waits forever for finished jobs.
set -euo pipefail

PARTITION="${LOCAL_SLURM_PARTITION:-debug}"
STATE_DIR="${LOCAL_SLURM_STATE_DIR:-/run/local-slurm}"
MIN_JOB_AGE="${LOCAL_SLURM_MIN_JOB_AGE:-600}"
CONF=/etc/slurm/slurm.conf
MARKER="# written by local-slurm.sh"
PKGS=(slurmctld slurmd slurm-client munge)
DAEMONS=(munged slurmctld slurmd)   # start order; stop goes in reverse
declare -A DAEMON_PIDFILE=(           # pid files the daemons write themselves
  [munged]=/run/munge/munged.pid [slurmctld]=/run/slurmctld.pid [slurmd]=/run/slurmd.pid)

log() { echo "[local-slurm] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# --- pid bookkeeping -------------------------------------------------------------------------
# A recorded PID counts as "ours and alive" only if that process still has the expected name.
alive() { # alive NAME -> 0 if the recorded pid of NAME is running as NAME
  local name=$1 pid
  [ -s "$STATE_DIR/$name.pid" ] || return 1
  pid=$(cat "$STATE_DIR/$name.pid")
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]
}

record_pid() { # record_pid NAME PIDFILE_WRITTEN_BY_DAEMON
  local name=$1 pidfile=$2 i
  for i in $(seq 100); do
    if [ -s "$pidfile" ] && [ -r "/proc/$(cat "$pidfile")/comm" ]; then
      mkdir -p "$STATE_DIR"
      cat "$pidfile" > "$STATE_DIR/$name.pid"
      alive "$name" && return 0
    fi
    sleep 0.1
  done
  return 1
}

# Refuse to start a second copy next to one this script did not start (ports/sockets clash).
# This only reads the process table; it never kills anything that is not recorded by us.
foreign_running() { # foreign_running NAME
  local name=$1 p ours=""
  [ -s "$STATE_DIR/$name.pid" ] && ours=$(cat "$STATE_DIR/$name.pid")
  for p in $(pgrep -x "$name" || true); do
    [ "$p" = "$ours" ] || return 0
  done
  return 1
}

show_logs() {
  local f
  for f in /var/log/munge/munged.log /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
    [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 25 "$f" >&2; }
  done
  return 0
}

# --- install ---------------------------------------------------------------------------------
do_install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
     && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  log "installing ${PKGS[*]} (apt, --no-install-recommends)"
  export DEBIAN_FRONTEND=noninteractive
  local i
  for i in 1 2 3 4 5; do   # apt-get update has no lock timeout option for the lists lock
    apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null && break
    [ "$i" = 5 ] && die "apt-get update failed"
    sleep 10
  done
  # policy-rc.d on these machines denies service starts, so the postinst does not start anything.
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${PKGS[@]}" >/dev/null
}

# --- config ----------------------------------------------------------------------------------
write_conf() {
  local host mem_total mem hw cpus
  host=$(hostname -s)
  mem_total=$(free -m | awk '/^Mem:/{print $2}')
  mem=$(( mem_total * 90 / 100 ))     # RealMemory above what slurmd sees => node INVALID
  # slurmd -C prints the real topology, e.g.
  # NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
  hw=$(slurmd -C 2>/dev/null | head -n1 | tr ' ' '\n' \
       | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
  [ -n "$hw" ] || hw="CPUs=$(nproc)"
  cpus=$(echo "$hw" | tr ' ' '\n' | sed -n 's/^CPUs=//p')
  if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    cp -p "$CONF" "$CONF.bak.$(date +%s)"
    log "saved the existing $CONF to $CONF.bak.*"
  fi
  mkdir -p /etc/slurm
  cat > "$CONF" <<EOF
$MARKER
ClusterName=localcluster
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
# no cgroups anywhere: works in containers / gVisor / cgroup v1 without cgroup.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# no slurmdbd: sacct/sacctmgr do not work ("Slurm accounting storage is disabled")
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without a default, a job with no --mem gets the whole node's memory and jobs run one at a time
DefMemPerCPU=$(( mem / cpus ))
ReturnToService=2
# keep finished jobs visible to squeue (snakemake --slurm-status-command squeue relies on it)
MinJobAge=$MIN_JOB_AGE
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 ${hw}RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

# --- start -----------------------------------------------------------------------------------
start_munged() {
  alive munged && return 0
  foreign_running munged && die "a munged not started by this script is running; stop it first"
  if [ ! -s /etc/munge/munge.key ]; then          # the Debian postinst normally creates it
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key
  chmod 0700 /etc/munge; chmod 0600 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged            # daemonizes, writes /run/munge/munged.pid
  record_pid munged /run/munge/munged.pid || { show_logs; die "munged did not start"; }
  munge -n | unmunge >/dev/null || { show_logs; die "munge round trip failed"; }
}

start_slurmctld() {
  alive slurmctld && return 0
  foreign_running slurmctld && die "a slurmctld not started by this script is running"
  mkdir -p /var/spool/slurmctld /var/log/slurm
  chown slurm:slurm /var/spool/slurmctld /var/log/slurm
  rm -f /run/slurmctld.pid
  slurmctld                                        # daemonizes, runs as SlurmUser=slurm
  record_pid slurmctld /run/slurmctld.pid || { show_logs; die "slurmctld did not start"; }
}

start_slurmd() {
  alive slurmd && return 0
  foreign_running slurmd && die "a slurmd not started by this script is running"
  mkdir -p /var/spool/slurmd
  rm -f /run/slurmd.pid
  slurmd                                           # daemonizes, runs as root
  record_pid slurmd /run/slurmd.pid || { show_logs; die "slurmd did not start"; }
}

wait_idle() {
  local i state=""
  for i in $(seq 60); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true)
    case "$state" in idle|mixed|allocated) return 0 ;; esac
    sleep 1
  done
  show_logs; die "node did not become idle (state: '${state}')"
}

smoke_test() {
  local out
  out=$(cd /tmp && timeout 60 srun -N1 -n1 -t 1 hostname) || { show_logs; die "srun failed"; }
  [ "$out" = "$(hostname)" ] || [ "$out" = "$(hostname -s)" ] || die "srun printed '$out'"
  # sbatch + polling squeue (not sbatch --wait, whose back-off adds ~7 s); this also checks that
  # squeue still lists the finished job, which snakemake's squeue status command relies on.
  local jid st="" i
  jid=$(cd /tmp && sbatch --parsable -t 1 -o /dev/null --wrap true) || { show_logs; die "sbatch failed"; }
  for i in $(seq 120); do
    st=$(squeue -h -j "$jid" -t all -o '%T' 2>/dev/null || true)
    case "$st" in
      COMPLETED) return 0 ;;
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|PREEMPTED)
        show_logs; die "smoke-test batch job $jid ended $st" ;;
    esac
    sleep 0.5
  done
  show_logs; die "smoke-test batch job $jid not COMPLETED after 60 s (state: '$st')"
}

do_start() {
  local t0=$SECONDS
  do_install
  if alive munged && alive slurmctld && alive slurmd; then
    log "already running"; do_status; return 0
  fi
  write_conf
  start_munged
  start_slurmctld
  start_slurmd
  wait_idle
  smoke_test
  log "cluster up in $(( SECONDS - t0 ))s: partition=$PARTITION node=$(hostname -s)"
  log "pids: munged=$(cat "$STATE_DIR/munged.pid") slurmctld=$(cat "$STATE_DIR/slurmctld.pid") slurmd=$(cat "$STATE_DIR/slurmd.pid")"
}

# --- stop ------------------------------------------------------------------------------------
stop_one() { # stop_one NAME
  local name=$1 pid i
  if ! alive "$name"; then rm -f "$STATE_DIR/$name.pid"; return 0; fi
  pid=$(cat "$STATE_DIR/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 150); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ] && alive "$name"; then
    log "$name ($pid) ignored SIGTERM, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE_DIR/$name.pid"
  # slurmctld drops to SlurmUser and cannot remove its root-owned /run pid file; a stale
  # /run/slurmctld.pid makes the Debian prerm (apt-get remove/purge) fail in scancel.
  local f=${DAEMON_PIDFILE[$name]}
  if [ -f "$f" ] && [ "$(cat "$f" 2>/dev/null)" = "$pid" ]; then rm -f "$f"; fi
  log "stopped $name ($pid)"
}

do_stop() {
  local i
  if alive slurmctld; then
    # jobs of this private cluster only; squeue lists nothing else
    local jobs
    jobs=$(squeue -h -o '%i' 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      log "cancelling jobs: $(tr "\n" " " <<<"$jobs")"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for i in $(seq 30); do
        [ -z "$(squeue -h -t running,completing -o '%i' 2>/dev/null)" ] && break
        sleep 1
      done
    fi
  fi
  for (( i=${#DAEMONS[@]}-1; i>=0; i-- )); do
    stop_one "${DAEMONS[$i]}"
  done
  quiet_clients
}

# With slurm.conf in place but no slurmctld, every client command retries for MessageTimeout
# (10 s). The snakemake SLURM plugin runs `scontrol show config` whenever snakemake starts,
# even for local runs, so a stopped cluster would add ~9 s to every snakemake command on the
# machine. A stopped cluster's conf therefore gets MessageTimeout=1 (`start` rewrites it).
quiet_clients() {
  [ -f "$CONF" ] && grep -qF "$MARKER" "$CONF" || return 0
  sed -i '/^MessageTimeout=/d' "$CONF"
  echo "MessageTimeout=1" >> "$CONF"
}

do_status() {
  local name rc=0
  for name in "${DAEMONS[@]}"; do
    if alive "$name"; then echo "$name: running (pid $(cat "$STATE_DIR/$name.pid"))"
    else echo "$name: not running"; rc=1; fi
  done
  if [ "$rc" = 0 ]; then sinfo; squeue -t all; fi
  return $rc
}

case "${1:-}" in
  install) do_install ;;
  start)   do_start ;;
  stop)    do_stop ;;
  status)  do_status ;;
  *) echo "usage: $0 {start|stop|status|install}" >&2; exit 2 ;;
esac
