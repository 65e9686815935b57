# Shared names, paths and helpers of scripts/local-cluster (sourced, not run).
#
# One cluster per machine: every path, address and port below is fixed so the
# e2e tier and other helpers find the cluster without being told where it is.

KUBERNETES_VERSION=v1.36.1
ETCD_VERSION=v3.6.8
COREDNS_VERSION=v1.14.2
# The newest kube-router the Go module proxy serves; only its NetworkPolicy firewall runs.
KUBE_ROUTER_VERSION=v2.1.0

CLUSTER_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_DIR=${LOCAL_CLUSTER_CACHE:-/var/cache/users-api/cluster}
BIN_DIR=$CACHE_DIR/bin
STATE_DIR=/var/lib/users-api-cluster
RUN_DIR=/run/users-api-cluster
LOG_DIR=$STATE_DIR/logs
PID_DIR=$STATE_DIR/pids
PKI_DIR=$STATE_DIR/pki
KUBECONFIG_PATH=$STATE_DIR/kubeconfig
READY_FILE=$STATE_DIR/READY
# What the host looked like before the first `up`, restored by `down`.
HOST_SNAPSHOT=$STATE_DIR/host-snapshot

NODE_NAME=users-api-e2e
# The apiserver needs a non-loopback address and this kernel has no dummy
# interface module: a veth pair of our own carries it as a /32.
NODE_IP=10.200.0.1
NODE_VETH=uae2e0
NODE_VETH_PEER=uae2e1
CNI_BRIDGE=uae2e-br0
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
# CoreDNS runs as a host process on the node address (no image to build).
DNS_IP=$NODE_IP
REGISTRY_ADDR=127.0.0.1:5000
PAUSE_IMAGE=users-api.local/pause:1
STORAGE_CLASS=standard
VOLUMES_DIR=$STATE_DIR/volumes
# kube-router as a NetworkPolicy controller only: it must not route (one bridge does) nor
# replace kube-proxy. Shared by `up` and by `down`'s --cleanup-config.
KUBE_ROUTER_FLAGS=(--run-firewall=true --run-router=false --run-service-proxy=false
    --kubeconfig="$KUBECONFIG_PATH" --hostname-override="$NODE_NAME"
    --service-cluster-ip-range="$SERVICE_CIDR" --health-port=0 --metrics-port=0)
# The chain its first sync creates (FORWARD jumps to it).
KUBE_ROUTER_CHAIN=KUBE-ROUTER-FORWARD

CONTAINERD_SOCK=$RUN_DIR/containerd/containerd.sock
# Debian's docker.io client has BuildKit built in; newer clients want the buildx plugin.
DOCKER=${DOCKER:-/usr/bin/docker}
CTR=(ctr --address "$CONTAINERD_SOCK" --namespace k8s.io)

log() { printf 'local-cluster: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

kubectl_admin() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# wait_for SECONDS WHAT COMMAND...: run COMMAND every second until it succeeds;
# after SECONDS, fail naming WHAT (callers print the component's log).
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            log "timed out after ${seconds}s waiting for $what"
            return 1
        fi
        sleep 1
    done
}

# A component's PID if its PID file names a live process started from BIN
# (the command line is compared so a recycled PID is never mistaken for it).
component_pid() {
    local name=$1 pid_file=$PID_DIR/$1.pid
    [[ -f $pid_file ]] || return 1
    local pid
    pid=$(<"$pid_file")
    [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(<"$PID_DIR/$name.cmd")" || return 1
    echo "$pid"
}

# start_component NAME COMMAND...: start a host process in its own session,
# logging to $LOG_DIR/NAME.log, unless it already runs (idempotent up).
start_component() {
    local name=$1
    shift
    if component_pid "$name" >/dev/null; then
        return 0
    fi
    log "starting $name"
    printf '%s' "$1" >"$PID_DIR/$name.cmd"
    setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$PID_DIR/$name.pid"
}

# stop_component NAME: SIGTERM by PID file, SIGKILL after 20 s.
stop_component() {
    local name=$1 pid
    if pid=$(component_pid "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 20))
        while [[ -d /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
        while [[ -d /proc/$pid ]]; do sleep 0.1; done
    fi
    rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.cmd"
}

# Print the end of a component's log, for failures.
show_log() {
    local name=$1
    if [[ -f $LOG_DIR/$name.log ]]; then
        log "---- last lines of $LOG_DIR/$name.log ----"
        tail -n 40 "$LOG_DIR/$name.log" >&2
    fi
}

require_root_linux() {
    [[ $(uname -s) == Linux ]] || die "Linux only: the cluster runs as host processes"
    ((EUID == 0)) || die "root only: the kubelet and containerd manage namespaces, cgroups and iptables"
}
