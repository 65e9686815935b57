# `local-cluster down`: stop every component by its PID file and undo what the
# cluster changed on the host (sourced by scripts/local-cluster).

# Stop enforcing NetworkPolicies while the API server still answers: kube-router's cleanup
# reads the node from it, then removes its chains, the jumps into them and its ipsets.
# Whatever it leaves (the API server was down) goes with the KUBE-* chains and remove_ipsets.
stop_network_policies() {
    stop_component kube-router
    if [[ -x $BIN_DIR/kube-router ]] && command -v ipset >/dev/null; then
        "$BIN_DIR/kube-router" "${KUBE_ROUTER_FLAGS[@]}" --cleanup-config >>"$LOG_DIR/kube-router.log" 2>&1 ||
            log "kube-router --cleanup-config failed (see $LOG_DIR/kube-router.log)"
    fi
}

# kube-router's KUBE-SRC-/KUBE-DST- sets and the TMP- sets of an interrupted swap (each a
# prefix and 16 base32 characters); only once no rule refers to them (after remove_iptables_chains).
remove_ipsets() {
    command -v ipset >/dev/null || return 0
    local set
    for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-SRC|KUBE-DST|TMP)-[A-Z2-7]{16}$'); do
        ipset destroy "$set" 2>/dev/null || log "could not destroy ipset $set"
    done
}

# Kill every container of our containerd (pods are not drained: this is teardown).
remove_containers() {
    component_pid containerd >/dev/null || return 0
    local task
    for task in $("${CTR[@]}" tasks ls -q 2>/dev/null); do
        "${CTR[@]}" tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
    done
    for task in $("${CTR[@]}" tasks ls -q 2>/dev/null); do
        wait_for 10 "task $task to stop" "${CTR[@]}" tasks delete "$task" || true
    done
}

# Shims outlive containerd; each one's PID file sits in containerd's state folder.
stop_shims() {
    local pid_file pid
    for pid_file in "$RUN_DIR"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
        [[ -f $pid_file ]] || continue
        pid=$(<"$pid_file")
        if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$CONTAINERD_SOCK"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

unmount_under() {
    local prefix
    for prefix in "$@"; do
        # Deepest first, so nested mounts go before their parents.
        awk -v p="$prefix" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo |
            sort -r | while read -r mount_point; do
            umount -l "$mount_point" 2>/dev/null || true
        done
    done
}

remove_network_namespaces() {
    local ns
    for ns in /run/netns/cni-*; do
        [[ -e $ns ]] || continue
        umount -l "$ns" 2>/dev/null || true
        rm -f "$ns"
    done
}

# Remove the KUBE-* (kubelet, kube-proxy) and CNI-* (portmap, firewall) chains.
remove_iptables_chains() {
    local tool table rule chain
    for tool in iptables ip6tables; do
        command -v "$tool" >/dev/null || continue
        for table in filter nat mangle; do
            # Jumps into our chains from built-in (or Docker's) chains; awk, unlike grep,
            # succeeds when nothing matches.
            "$tool" -t "$table" -S 2>/dev/null | awk '/^-A .* -j (KUBE-|CNI-)/ && !/^-A (KUBE-|CNI-)/' |
                while read -r rule; do
                    eval "$tool -t $table ${rule/-A/-D}" 2>/dev/null || true
                done
            for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}'); do
                "$tool" -t "$table" -F "$chain" 2>/dev/null || true
            done
            for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}'); do
                "$tool" -t "$table" -X "$chain" 2>/dev/null || true
            done
        done
    done
}

# The kubelet's cgroups (cgroupfs driver, cgroup v1: one tree per controller).
remove_cgroups() {
    local tree
    for tree in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
        [[ -d $tree ]] || continue
        find "$tree" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
}

restore_host() {
    [[ -f $HOST_SNAPSHOT ]] || return 0
    local kind key value
    while read -r kind key value; do
        case $kind in
        sysctl) echo "$value" >"/proc/sys/$key" 2>/dev/null || log "could not restore sysctl $key=$value" ;;
        # Other tools may keep network namespaces there: remove the folder only if empty.
        absent) if [[ $key == /run/netns ]]; then rmdir "$key" 2>/dev/null || true; else rm -rf "$key"; fi ;;
        esac
    done <"$HOST_SNAPSHOT"
}

cmd_down() {
    require_root_linux
    local started=$SECONDS
    rm -f "$READY_FILE"
    stop_network_policies
    # Nothing may restart pods while they are removed.
    stop_component kubelet
    stop_component volume-provisioner
    stop_component registry
    stop_component coredns
    remove_containers
    stop_component containerd
    stop_shims
    stop_component kube-proxy
    if [[ -x $BIN_DIR/kube-proxy ]]; then
        "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true
    fi
    stop_component kube-scheduler
    stop_component kube-controller-manager
    stop_component kube-apiserver
    stop_component etcd
    unmount_under "$STATE_DIR" "$RUN_DIR"
    remove_network_namespaces
    remove_iptables_chains
    remove_ipsets
    remove_cgroups
    ip link delete "$CNI_BRIDGE" 2>/dev/null || true
    ip link delete "$NODE_VETH" 2>/dev/null || true
    if command -v conntrack >/dev/null; then
        conntrack -D -s "$CLUSTER_CIDR" >/dev/null 2>&1 || true
        conntrack -D -d "$SERVICE_CIDR" >/dev/null 2>&1 || true
    fi
    restore_host
    rm -rf "$STATE_DIR" "$RUN_DIR"
    log "cluster removed in $((SECONDS - started)) s (binaries stay cached in $CACHE_DIR)"
}
