#!/usr/bin/env bash
# .ci/local-slurm/start.sh - install (if missing) and start a real single-node SLURM cluster
# from Debian/Ubuntu packages (munge, slurmctld, slurmd, slurmdbd + a private MariaDB, one fake
# GPU), so that `snakemake --profile profiles/slurm` can be tried, and tested, on one machine.
# Needs root and apt. Idempotent: if the cluster this script started is up, it just exits 0;
# otherwise it stops leftovers (stop.sh) and starts from scratch.
# Adapted from shared/tools/local-slurm (start-local-slurm.sh); additions: the node can be
# declared larger than the machine (SLURM_LOCAL_NODE_CPUS / SLURM_LOCAL_NODE_MEM_MB, via
# SlurmdParameters=config_overrides) so that jobs asking for a GPU node's CPUs and memory, as
# profiles/slurm does, are scheduled here too (nothing enforces the limits: task/none); and sacct
# keeps each job's comment (AccountingStoreFlags=job_comment), where Snakemake's plugin names the rule.
# Knobs (env): SLURM_LOCAL_BASE=${TMPDIR:-/tmp}/local-slurm  SLURM_LOCAL_ACCOUNTING=slurmdbd|none
#              SLURM_LOCAL_FAKE_GPU=1|0  SLURM_LOCAL_USERS="runner ..." (extra sbatch users)
#              SLURM_LOCAL_NODE_CPUS=N  SLURM_LOCAL_NODE_MEM_MB=M (declared node size)
set -euo pipefail
BASE=${SLURM_LOCAL_BASE:-${TMPDIR:-/tmp}/local-slurm}
ACCT=${SLURM_LOCAL_ACCOUNTING:-slurmdbd}
FAKE_GPU=${SLURM_LOCAL_FAKE_GPU:-1}
NODE_CPUS=${SLURM_LOCAL_NODE_CPUS:-} NODE_MEM=${SLURM_LOCAL_NODE_MEM_MB:-}
USERS="root ${SLURM_LOCAL_USERS:-${SUDO_USER:-}}"
CLUSTER=localci ACCOUNT=ci DB_PORT=13306
ETC=$BASE/etc RUN=$BASE/run LOG=$BASE/log STATE=$BASE/state MY=$BASE/mysql
HERE=$(dirname "$(readlink -f "$0")")
T0=$(date +%s.%N)
log() { echo "[local-slurm start] $*" >&2; }
alive() { local p; [[ -s $1 ]] && p=$(<"$1") && kill -0 "$p" 2>/dev/null; }
wait_for() { # name tries(0.5s) cmd...
  local name=$1 n=$2 i; shift 2
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "timeout waiting for $name"; return 1
}
[[ $EUID -eq 0 ]] || { log "must run as root"; exit 1; }

# 0. already up? -> nothing to do
if alive "$RUN/slurmctld.pid" && alive "$RUN/slurmd.pid" &&
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)$'; then
  log "already running"; sinfo; exit 0
fi

# 1. install missing packages
pkgs=(munge slurm-client slurmctld slurmd)
[[ $ACCT == slurmdbd ]] && pkgs+=(slurmdbd mariadb-server)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. clean slate (only our own daemons/state)
[[ -x $HERE/stop.sh ]] && SLURM_LOCAL_BASE=$BASE "$HERE/stop.sh" || true
rm -rf "$STATE" "$RUN" "$LOG" "$MY" "$ETC"
mkdir -p "$ETC" "$STATE/ctld" "$STATE/d" "$RUN/munge" "$LOG" "$BASE/dev"
chown munge:munge "$RUN/munge"

# 3. config (node line from `slurmd -C`, 80% of RAM)
NODE=$(hostname -s)
HW=$(slurmd -C | head -1 | tr ' ' '\n')
MEM=$(sed -n 's/^RealMemory=//p' <<<"$HW")
TOPO=$(grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' <<<"$HW" | tr '\n' ' ')
NODE_MEM=${NODE_MEM:-$((MEM * 80 / 100))} OVERRIDES=""
if [[ -n $NODE_CPUS ]]; then # a declared size, not the detected one
  TOPO="CPUs=$NODE_CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$NODE_CPUS ThreadsPerCore=1 "
fi
if [[ -n $NODE_CPUS || -n ${SLURM_LOCAL_NODE_MEM_MB:-} ]]; then OVERRIDES="SlurmdParameters=config_overrides"; fi
GRES_NODE="" GRES_TYPES=""
if [[ $FAKE_GPU == 1 ]]; then # fake GPU = char device clone of /dev/null
  DEV=$BASE/dev/fakegpu0
  [[ -e $DEV ]] || mknod "$DEV" c 1 3 2>/dev/null || touch "$DEV"
  GRES_TYPES="GresTypes=gpu" GRES_NODE="Gres=gpu:fake:1"
  printf 'AutoDetect=off\nNodeName=%s Name=gpu Type=fake File=%s\n' "$NODE" "$DEV" >"$ETC/gres.conf"
fi
if [[ $ACCT == slurmdbd ]]; then
  ACCT_CONF="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStorageEnforce=associations
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none"
else
  ACCT_CONF="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt"
fi
cat >"$ETC/slurm.conf" <<EOF
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
MinJobAge=600
KillWait=5
$ACCT_CONF
$GRES_TYPES
$OVERRIDES
NodeName=$NODE NodeAddr=127.0.0.1 ${TOPO}RealMemory=$NODE_MEM $GRES_NODE State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
if [[ $ACCT == slurmdbd ]]; then
  cat >"$ETC/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
DebugLevel=info
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$ETC/slurmdbd.conf"
fi
chmod 644 "$ETC/slurm.conf"
# The jobstep plugin strips SLURM_* (incl. SLURM_CONF) before its nested srun,
# so the config must be at the compiled-in default path /etc/slurm/.
mkdir -p /etc/slurm
for f in slurm.conf gres.conf slurmdbd.conf; do
  [[ -e $ETC/$f ]] || continue
  [[ -e /etc/slurm/$f && ! -L /etc/slurm/$f ]] && mv "/etc/slurm/$f" "/etc/slurm/$f.pre-localci"
  ln -sfn "$ETC/$f" "/etc/slurm/$f"
done

# 4. munge (reuse a working system munged, else start our own)
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "reusing running munged"
else
  if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --force \
    --pid-file="$RUN/munge/munged.pid" --log-file="$RUN/munge/munged.log"
  wait_for munged 40 bash -c 'munge -n | unmunge'
fi

# 5. accounting: private MariaDB (127.0.0.1:$DB_PORT) + slurmdbd
if [[ $ACCT == slurmdbd ]]; then
  install -d -o mysql -g mysql "$MY" "$MY/data" "$MY/run"
  mariadb-install-db --no-defaults --user=mysql --datadir="$MY/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$LOG/mariadb-install.log" 2>&1
  setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$MY/data" \
    --socket="$MY/run/mysqld.sock" --port=$DB_PORT --bind-address=127.0.0.1 \
    --pid-file="$MY/run/mariadbd.pid" --log-error="$MY/run/mariadb.err" \
    --innodb-buffer-pool-size=128M --innodb-lock-wait-timeout=900 \
    </dev/null >"$LOG/mariadbd.out" 2>&1 &
  wait_for mariadb 120 mariadb --no-defaults -S "$MY/run/mysqld.sock" -u root -e 'select 1'
  mariadb --no-defaults -S "$MY/run/mysqld.sock" -u root -e "
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
    CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpw';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
  slurmdbd
  wait_for slurmdbd 60 sacctmgr -n list cluster
  sacctmgr -i add cluster $CLUSTER >/dev/null || true
  sacctmgr -i add account $ACCOUNT Description=ci Organization=ci >/dev/null || true
  for u in $(tr ' ' '\n' <<<"$USERS" | sort -u); do
    sacctmgr -i add user "$u" Account=$ACCOUNT DefaultAccount=$ACCOUNT >/dev/null || true
  done
fi

# 6. controller + node daemon
slurmctld
wait_for slurmctld 60 scontrol ping
slurmd
if ! wait_for "node $NODE idle" 60 bash -c "sinfo -h -n $NODE -o %T | grep -qx idle"; then
  scontrol show node "$NODE" >&2; tail -20 "$LOG/slurmctld.log" "$LOG/slurmd.log" >&2; exit 1
fi

# 7. smoke test
timeout 60 srun -t 1 -N1 hostname >/dev/null
sinfo
log "up in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $T0}")s (accounting=$ACCT, fake_gpu=$FAKE_GPU, account=$ACCOUNT)"
