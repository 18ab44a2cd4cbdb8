#!/usr/bin/env bash
# .ci/local-slurm/stop.sh - stop only what start.sh started, via its PID files (never by
# process name), and unlink its /etc/slurm symlinks. Adapted from shared/tools/local-slurm.
set -uo pipefail
BASE=${SLURM_LOCAL_BASE:-${TMPDIR:-/tmp}/local-slurm}
RUN=$BASE/run
log() { echo "[local-slurm stop] $*" >&2; }
running() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }
stop_pidfile() { # pidfile expected-comm
  local f=$1 comm=$2 p i
  [[ -s $f ]] || return 0
  p=$(<"$f")
  if running "$p" && [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$comm" ]]; then
    kill -TERM "$p"
    for ((i = 0; i < 60; i++)); do running "$p" || break; sleep 0.25; done
    if running "$p"; then log "$comm ($p) ignored SIGTERM, sending SIGKILL"; kill -KILL "$p"; fi
    log "stopped $comm (pid $p)"
  else
    log "$comm: not running (stale $f)"
  fi
  rm -f "$f"
}

# cancel jobs of *this* cluster first so no slurmstepd outlives slurmd
if [[ -s $RUN/slurmctld.pid ]] && running "$(<"$RUN/slurmctld.pid")"; then
  jobs=$(squeue -h -o %i 2>/dev/null)
  if [[ -n $jobs ]]; then
    scancel $jobs 2>/dev/null
    for ((i = 0; i < 40; i++)); do [[ -z $(squeue -h -t R,CG -o %i 2>/dev/null) ]] && break; sleep 0.25; done
  fi
fi
stop_pidfile "$RUN/slurmd.pid" slurmd
stop_pidfile "$RUN/slurmctld.pid" slurmctld
stop_pidfile "$RUN/slurmdbd.pid" slurmdbd
stop_pidfile "$BASE/mysql/run/mariadbd.pid" mariadbd
stop_pidfile "$RUN/munge/munged.pid" munged # only if we started it

# remove our /etc/slurm symlinks, restore anything we moved aside
for f in slurm.conf gres.conf slurmdbd.conf; do
  if [[ -L /etc/slurm/$f && $(readlink "/etc/slurm/$f") == "$BASE"/* ]]; then
    rm -f "/etc/slurm/$f"
    [[ -e /etc/slurm/$f.pre-localci ]] && mv "/etc/slurm/$f.pre-localci" "/etc/slurm/$f"
  fi
done
exit 0
