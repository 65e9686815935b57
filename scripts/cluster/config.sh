# Configuration files of the local cluster's components (sourced by
# scripts/local-cluster). Each writer is idempotent and leaves an unchanged file alone:
# kube-proxy exits when its configuration file changes under it.

# write_if_changed FILE: stdin into FILE, only if the content differs.
write_if_changed() {
    local file=$1 new
    new=$(cat)
    [[ -f $file && $(<"$file") == "$new" ]] && return 0
    printf '%s\n' "$new" >"$file.partial"
    mv "$file.partial" "$file"
}

write_kubeadm_config() {
    write_if_changed "$STATE_DIR/kubeadm.yaml" <<EOF
# Used only for \`kubeadm init phase certs/kubeconfig\`: kubeadm writes the PKI
# and kubeconfigs; it starts nothing.
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: $NODE_IP
  bindPort: 6443
nodeRegistration:
  name: $NODE_NAME
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $KUBERNETES_VERSION
clusterName: $NODE_NAME
certificatesDir: $PKI_DIR
controlPlaneEndpoint: $NODE_IP:6443
apiServer:
  certSANs: [127.0.0.1, localhost]
networking:
  dnsDomain: cluster.local
  serviceSubnet: $SERVICE_CIDR
  podSubnet: $CLUSTER_CIDR
EOF
}

write_containerd_config() {
    mkdir -p "$STATE_DIR/containerd/certs.d/$REGISTRY_ADDR"
    # The local registry speaks plain HTTP on loopback.
    write_if_changed "$STATE_DIR/containerd/certs.d/$REGISTRY_ADDR/hosts.toml" <<EOF
server = "http://$REGISTRY_ADDR"
[host."http://$REGISTRY_ADDR"]
  capabilities = ["pull", "resolve"]
EOF
    # A second containerd with its own socket, root and state: Docker's stays untouched.
    # cgroup v1 without systemd, no CAP_SYS_RESOURCE and no hugetlb on this VM.
    write_if_changed "$STATE_DIR/containerd/config.toml" <<EOF
version = 2
root = "$STATE_DIR/containerd/root"
state = "$RUN_DIR/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  tolerate_missing_hugepages_controller = true
  disable_hugetlb_controller = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE_DIR/containerd/certs.d"
EOF
}

write_cni_config() {
    mkdir -p "$STATE_DIR/cni/net.d"
    # Pods get routes to the Service range and the node address only, no default
    # route: pod traffic cannot leave this machine. `firewall` accepts pod
    # traffic in FORWARD, whose policy Docker sets to DROP.
    write_if_changed "$STATE_DIR/cni/net.d/10-users-api-e2e.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "users-api-e2e",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "$SERVICE_CIDR"}, {"dst": "$NODE_IP/32"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall", "backend": "iptables"}
  ]
}
EOF
}

write_kubelet_config() {
    : >"$STATE_DIR/resolv.conf"
    write_if_changed "$STATE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# This VM: cgroup v1 without systemd, swap tolerated.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
# Pods get no host nameserver: lookups stay inside the cluster.
resolvConf: $STATE_DIR/resolv.conf
podLogsDir: $STATE_DIR/pod-logs
# "0" is refused; a tiny positive threshold keeps eviction out of the way.
evictionHard:
  memory.available: 1Mi
  nodefs.available: 1Mi
  imagefs.available: 1Mi
  nodefs.inodesFree: "1"
# Images cannot be pulled again here: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
}

write_kube_proxy_config() {
    write_if_changed "$STATE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE_DIR/kube-proxy.conf
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $CLUSTER_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [$NODE_IP/32]
# Zero values leave the host's conntrack sysctls alone; no route_localnet either.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
  udpTimeout: 0s
  udpStreamTimeout: 0s
iptables:
  localhostNodePorts: false
EOF
}

write_corefile() {
    # No `forward`: names outside cluster.local are not resolved, so no lookup
    # leaves the machine.
    write_if_changed "$STATE_DIR/Corefile" <<EOF
.:53 {
    bind $DNS_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG_PATH
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus 127.0.0.1:19153
    cache 30
    loop
    loadbalance
}
EOF
}

write_registry_config() {
    write_if_changed "$STATE_DIR/registry.yaml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
}

write_storage_class() {
    cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $STORAGE_CLASS
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: users-api.local/host-dir
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}
