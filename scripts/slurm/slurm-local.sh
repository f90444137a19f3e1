#!/usr/bin/env bash
# Brings up a single-node SLURM cluster on this machine (for testing scripts/slurm/slurm-sweep.sh):
# munged, slurmctld and slurmd on localhost, started directly as daemons (no systemd needed, so it
# works in containers), with a cgroup-free configuration. Idempotent: installs Debian's packages
# only when missing, creates a munge key only when missing, and restarts the daemons only when
# they are not running or the configuration changed. Needs root (re-runs itself with `sudo -n`).
#
#   scripts/slurm/slurm-local.sh          # install if needed, configure, start; waits until the node is idle
#   scripts/slurm/slurm-local.sh stop     # stops the three daemons
#   scripts/slurm/slurm-local.sh status   # prints sinfo
#
# Packages: slurmctld slurmd slurm-client munge (Debian/Ubuntu, via apt-get). Files: the
# configuration in /etc/slurm/slurm.conf (a different existing one is kept as slurm.conf.orig),
# state in /var/spool/slurmctld and /var/spool/slurmd, logs in /var/log/slurm and
# /var/log/munge. The timeout for the node to come up is SLURM_LOCAL_TIMEOUT seconds (default 60).
set -euo pipefail
action=${1:-start}
case $action in start | stop | status) ;; *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;; esac

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n -- "$0" "$@"
  fi
  echo "slurm-local: must run as root (or with passwordless sudo) to install and start SLURM" >&2
  exit 1
fi

say() { echo "slurm-local: $*" >&2; }
conf_dir=/etc/slurm
conf=$conf_dir/slurm.conf
log_dir=/var/log/slurm
ctld_pid=/run/slurmctld.pid
slurmd_pid=/run/slurmd.pid
munge_pid=/run/munge/munged.pid
timeout=${SLURM_LOCAL_TIMEOUT:-60}
node=$(hostname -s)

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() { # pidfile name
  if running "$1"; then
    local pid
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then say "$2 (pid $pid) did not stop; killing it"; kill -9 "$pid" 2>/dev/null || true; fi
    say "stopped $2"
  fi
  rm -f "$1"
}

logs() {
  for f in "$log_dir/slurmctld.log" "$log_dir/slurmd.log" /var/log/munge/munged.log; do
    if [ -f "$f" ]; then echo "----- last lines of $f" >&2; tail -n 40 "$f" >&2; fi
  done
}

fail() { say "$*"; logs; exit 1; }

if [ "$action" = stop ]; then
  stop_one "$slurmd_pid" slurmd
  stop_one "$ctld_pid" slurmctld
  stop_one "$munge_pid" munged
  exit 0
fi
if [ "$action" = status ]; then
  exec sinfo
fi

# 1. packages, only those missing
need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
command -v munged >/dev/null 2>&1 || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || { say "missing ${need[*]} and no apt-get to install them"; exit 1; }
  say "installing ${need[*]}"
  # keep package scripts from starting services (there may be no init system): we start them
  policy=/usr/sbin/policy-rc.d
  made_policy=false
  if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy; chmod 755 $policy; made_policy=true; fi
  trap '$made_policy && rm -f $policy' EXIT
  apt-get update -qq || { say "apt-get update failed"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { say "apt-get install ${need[*]} failed"; exit 1; }
  if $made_policy; then rm -f $policy; fi
  trap - EXIT
fi

# 2. munge: key, directories, daemon (as the munge user)
getent passwd munge >/dev/null || fail "no munge user (the munge package creates it)"
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --force --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! running $munge_pid; then
  say "starting munged"
  command -v runuser >/dev/null 2>&1 || fail "runuser (util-linux) not found"
  runuser -u munge -- munged || fail "munged did not start"
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
fi
munge -n </dev/null | unmunge >/dev/null 2>&1 || fail "munge does not work (munge -n | unmunge failed)"

# 3. slurm.conf for this node: CPUs and memory as slurmd itself detects them
hw=$(slurmd -C | head -n 1) || fail "slurmd -C failed"
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$hw"; }
cpus=$(field CPUs); mem=$(field RealMemory)
if [ -z "$cpus" ] || [ -z "$mem" ]; then fail "cannot read CPUs/RealMemory from 'slurmd -C': $hw"; fi
topology="Boards=$(field Boards) SocketsPerBoard=$(field SocketsPerBoard) CoresPerSocket=$(field CoresPerSocket) ThreadsPerCore=$(field ThreadsPerCore)"
case $topology in *"= "* | *=) topology="" ;; esac
new=$(
  cat <<EOF
# Single-node test cluster written by scripts/slurm/slurm-local.sh (Clairaut); no cgroups, no accounting.
ClusterName=clairaut-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$ctld_pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=600
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus $topology RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
)
changed=false
mkdir -p $conf_dir
if [ ! -f $conf ] || [ "$(cat $conf)" != "$new" ]; then
  if [ -f $conf ] && ! grep -qE 'written by scripts/(slurm/)?slurm-local.sh' $conf && [ ! -f $conf.orig ]; then
    cp $conf $conf.orig
    say "kept the existing $conf as $conf.orig"
  fi
  printf '%s\n' "$new" >$conf
  changed=true
fi
mkdir -p /var/spool/slurmctld /var/spool/slurmd $log_dir

# 4. slurmctld and slurmd, restarted when the configuration changed
if $changed; then
  stop_one $slurmd_pid slurmd
  stop_one $ctld_pid slurmctld
fi
if ! running $ctld_pid; then
  say "starting slurmctld"
  slurmctld || fail "slurmctld did not start"
fi
for _ in $(seq $((timeout * 5))); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
scontrol ping >/dev/null 2>&1 || fail "slurmctld does not answer 'scontrol ping' after ${timeout}s"
if ! running $slurmd_pid; then
  say "starting slurmd"
  slurmd || fail "slurmd did not start"
fi

# 5. wait until the node is idle (or busy: already running jobs is fine)
state=""
for _ in $(seq $((timeout * 5))); do
  state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null | head -n 1)
  case $state in idle | mixed | allocated | completing) break ;; esac
  # a node left down or drained by an earlier run: bring it back
  case $state in down* | drain* | *fail*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;; esac
  sleep 0.2
done
case $state in
  idle | mixed | allocated | completing) say "node $node is $state ($cpus CPUs, $mem MB)" ;;
  *) sinfo -N -l >&2 || true; scontrol show node "$node" >&2 || true; fail "node $node is '${state:-unknown}' after ${timeout}s, not idle" ;;
esac
