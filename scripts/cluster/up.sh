# `local-cluster up`: start the single-node cluster as host processes
# (sourced by scripts/local-cluster). Every step is idempotent and bounded.

# Remember, once, what the components will change on the host, for `down`.
snapshot_host() {
    [[ -f $HOST_SNAPSHOT ]] && return 0
    local key path
    {
        # The kubelet sets these kernel tunables; kube-proxy is configured not to touch any.
        for key in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops \
            kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/ipv4/conf/all/route_localnet; do
            [[ -r /proc/sys/$key ]] && echo "sysctl $key $(</proc/sys/"$key")"
        done
        # Folders the components create outside $STATE_DIR when they are missing.
        for path in /var/lib/kubelet /var/log/pods /var/log/containers /var/lib/cni /run/netns \
            /etc/kubernetes /var/run/kubernetes; do
            [[ -e $path ]] || echo "absent $path"
        done
    } >"$HOST_SNAPSHOT.partial"
    mv "$HOST_SNAPSHOT.partial" "$HOST_SNAPSHOT"
}

setup_node_address() {
    if ! ip link show "$NODE_VETH" >/dev/null 2>&1; then
        ip link add "$NODE_VETH" type veth peer name "$NODE_VETH_PEER"
    fi
    ip addr replace "$NODE_IP/32" dev "$NODE_VETH"
    ip link set "$NODE_VETH_PEER" up
    ip link set "$NODE_VETH" up
}

setup_pki() {
    [[ -f $STATE_DIR/kube-proxy.conf ]] && return 0
    log "writing certificates and kubeconfigs (kubeadm init phase certs/kubeconfig)"
    write_kubeadm_config
    local kubeadm=("$BIN_DIR/kubeadm" --v=0)
    "${kubeadm[@]}" init phase certs all --config "$STATE_DIR/kubeadm.yaml" >"$LOG_DIR/kubeadm.log" 2>&1 ||
        { show_log kubeadm; die "kubeadm certs failed"; }
    "${kubeadm[@]}" init phase kubeconfig all --config "$STATE_DIR/kubeadm.yaml" \
        --kubeconfig-dir "$STATE_DIR" >>"$LOG_DIR/kubeadm.log" 2>&1 ||
        { show_log kubeadm; die "kubeadm kubeconfig failed"; }
    # super-admin.conf is in system:masters; admin.conf's group needs a binding
    # that only a full `kubeadm init` creates.
    cp "$STATE_DIR/super-admin.conf" "$KUBECONFIG_PATH.partial"
    "${kubeadm[@]}" kubeconfig user --config "$STATE_DIR/kubeadm.yaml" \
        --client-name system:kube-proxy >"$STATE_DIR/kube-proxy.conf.partial" 2>>"$LOG_DIR/kubeadm.log"
    mv "$KUBECONFIG_PATH.partial" "$KUBECONFIG_PATH"
    mv "$STATE_DIR/kube-proxy.conf.partial" "$STATE_DIR/kube-proxy.conf"
}

start_containerd() {
    write_containerd_config
    mkdir -p "$RUN_DIR/containerd"
    start_component containerd containerd --config "$STATE_DIR/containerd/config.toml"
    wait_for 60 containerd "${CTR[@]}" version || { show_log containerd; die "containerd did not start"; }
}

# import_scratch_image IMAGE MODULE BINARY: an image FROM scratch holding one binary we built
# (scripts/cluster/MODULE/Dockerfile), built by Docker and copied into our containerd.
import_scratch_image() {
    local image=$1 module=$2 binary=$3 context
    "${CTR[@]}" images check "name==$image" 2>/dev/null | grep -q "$image" && return 0
    log "building and importing $image"
    context=$(mktemp -d)
    cp "$CLUSTER_SRC/$module/Dockerfile" "$context/"
    cp "$(readlink -f "$BIN_DIR/$binary")" "$context/$binary"
    DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$image" "$context" >/dev/null
    rm -rf "$context"
    load_images "$image"
}

# load_images IMAGE...: copy images from the Docker engine into the cluster's containerd.
load_images() {
    "$DOCKER" save "$@" | "${CTR[@]}" images import - >/dev/null
}

start_etcd() {
    local pki=$PKI_DIR/etcd
    start_component etcd "$BIN_DIR/etcd" --name "$NODE_NAME" --data-dir "$STATE_DIR/etcd" \
        --listen-client-urls https://127.0.0.1:2379 --advertise-client-urls https://127.0.0.1:2379 \
        --listen-peer-urls https://127.0.0.1:2380 --initial-advertise-peer-urls https://127.0.0.1:2380 \
        --initial-cluster "$NODE_NAME=https://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381 \
        --cert-file "$pki/server.crt" --key-file "$pki/server.key" --trusted-ca-file "$pki/ca.crt" \
        --client-cert-auth --peer-cert-file "$pki/peer.crt" --peer-key-file "$pki/peer.key" \
        --peer-trusted-ca-file "$pki/ca.crt" --peer-client-cert-auth \
        --unsafe-no-fsync --snapshot-count 10000
    # A throwaway test cluster: no fsync keeps etcd fast on a busy shared disk.
    wait_for 60 etcd curl -fsS http://127.0.0.1:2381/health || { show_log etcd; die "etcd is not healthy"; }
}

start_apiserver() {
    start_component kube-apiserver "$BIN_DIR/kube-apiserver" \
        --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port 6443 \
        --allow-privileged=true --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
        --client-ca-file "$PKI_DIR/ca.crt" \
        --etcd-servers https://127.0.0.1:2379 --etcd-cafile "$PKI_DIR/etcd/ca.crt" \
        --etcd-certfile "$PKI_DIR/apiserver-etcd-client.crt" --etcd-keyfile "$PKI_DIR/apiserver-etcd-client.key" \
        --kubelet-client-certificate "$PKI_DIR/apiserver-kubelet-client.crt" \
        --kubelet-client-key "$PKI_DIR/apiserver-kubelet-client.key" --kubelet-preferred-address-types InternalIP \
        --proxy-client-cert-file "$PKI_DIR/front-proxy-client.crt" --proxy-client-key-file "$PKI_DIR/front-proxy-client.key" \
        --requestheader-client-ca-file "$PKI_DIR/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
        --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
        --requestheader-username-headers X-Remote-User \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$PKI_DIR/sa.pub" --service-account-signing-key-file "$PKI_DIR/sa.key" \
        --service-cluster-ip-range "$SERVICE_CIDR" \
        --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key"
    wait_for 120 kube-apiserver kubectl_admin get --raw /readyz || { show_log kube-apiserver; die "kube-apiserver is not ready"; }
    # kubeadm phases create no RBAC: without this, `kubectl logs/exec/port-forward` are Forbidden.
    kubectl_admin create clusterrolebinding users-api-e2e:apiserver-kubelet-client \
        --clusterrole system:kubelet-api-admin --user kube-apiserver-kubelet-client \
        --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
}

start_controllers() {
    local conf
    conf=$STATE_DIR/controller-manager.conf
    start_component kube-controller-manager "$BIN_DIR/kube-controller-manager" \
        --kubeconfig "$conf" --authentication-kubeconfig "$conf" --authorization-kubeconfig "$conf" \
        --bind-address 127.0.0.1 --client-ca-file "$PKI_DIR/ca.crt" --cluster-name "$NODE_NAME" \
        --cluster-signing-cert-file "$PKI_DIR/ca.crt" --cluster-signing-key-file "$PKI_DIR/ca.key" \
        --controllers '*,bootstrapsigner,tokencleaner' --leader-elect=false \
        --requestheader-client-ca-file "$PKI_DIR/front-proxy-ca.crt" --root-ca-file "$PKI_DIR/ca.crt" \
        --service-account-private-key-file "$PKI_DIR/sa.key" --use-service-account-credentials=true \
        --service-cluster-ip-range "$SERVICE_CIDR"
    conf=$STATE_DIR/scheduler.conf
    start_component kube-scheduler "$BIN_DIR/kube-scheduler" \
        --kubeconfig "$conf" --authentication-kubeconfig "$conf" --authorization-kubeconfig "$conf" \
        --bind-address 127.0.0.1 --leader-elect=false
}

start_node() {
    write_cni_config
    write_kubelet_config
    write_kube_proxy_config
    start_component kubelet "$BIN_DIR/kubelet" --config "$STATE_DIR/kubelet.yaml" \
        --kubeconfig "$STATE_DIR/kubelet.conf" --root-dir "$STATE_DIR/kubelet" \
        --cert-dir "$STATE_DIR/kubelet/pki" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
    start_component kube-proxy "$BIN_DIR/kube-proxy" --config "$STATE_DIR/kube-proxy.yaml"
    wait_for 180 "node $NODE_NAME Ready" kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s ||
        { show_log kubelet; show_log kube-controller-manager; die "the node did not become Ready"; }
}

# NetworkPolicy enforcement: kube-router's firewall (iptables and ipset), nothing else of it.
# kind's kube-network-policies needs NFNETLINK_QUEUE, which CI's kernel lacks. It reads the
# node's address from the API, so it starts once the node is registered; its health port
# would listen on every interface, so it is off and the first sync's chain is awaited instead.
start_network_policies() {
    command -v ipset >/dev/null || die "ipset is not installed (Debian's ipset): kube-router's firewall needs it"
    start_component kube-router "$BIN_DIR/kube-router" "${KUBE_ROUTER_FLAGS[@]}"
    wait_for 60 "kube-router's $KUBE_ROUTER_CHAIN chain" iptables -w 5 -n -L "$KUBE_ROUTER_CHAIN" ||
        { show_log kube-router; die "kube-router set up no firewall"; }
}

start_addons() {
    write_corefile
    start_component coredns "$BIN_DIR/coredns" -conf "$STATE_DIR/Corefile"
    wait_for 60 CoreDNS curl -fsS http://127.0.0.1:18181/ready || { show_log coredns; die "CoreDNS is not ready"; }
    write_storage_class | kubectl_admin apply -f - >/dev/null
    # Run from a copy: bash reads scripts as it goes, and the checkout may change meanwhile.
    if ! component_pid volume-provisioner >/dev/null; then
        mkdir -p "$STATE_DIR/bin"
        cp "$CLUSTER_SRC/common.sh" "$CLUSTER_SRC/volume-provisioner" "$STATE_DIR/bin/"
    fi
    start_component volume-provisioner "$STATE_DIR/bin/volume-provisioner"
    write_registry_config
    start_component registry docker-registry serve "$STATE_DIR/registry.yaml"
    wait_for 30 "registry on $REGISTRY_ADDR" curl -fsS "http://$REGISTRY_ADDR/v2/" || { show_log registry; die "the registry did not start"; }
    # The default ServiceAccount appears asynchronously; pods of a fresh namespace need it.
    wait_for 60 "default ServiceAccount" kubectl_admin -n default get serviceaccount default ||
        { show_log kube-controller-manager; die "no default ServiceAccount"; }
}

cmd_up() {
    require_root_linux
    local started=$SECONDS
    cmd_build
    mkdir -p "$STATE_DIR" "$LOG_DIR" "$PID_DIR" "$PKI_DIR" "$RUN_DIR"
    chmod 0700 "$STATE_DIR"
    snapshot_host
    setup_node_address
    setup_pki
    start_containerd
    import_scratch_image "$PAUSE_IMAGE" pause pause
    start_etcd
    start_apiserver
    start_controllers
    start_node
    start_network_policies
    start_addons
    date -u +%FT%TZ >"$READY_FILE"
    log "cluster ready in $((SECONDS - started)) s; export KUBECONFIG=$KUBECONFIG_PATH"
}
