# `local-cluster build`: compile the pinned cluster binaries from the Go module
# proxy into $CACHE_DIR (sourced by scripts/local-cluster).
#
# Each wrapper module under scripts/cluster/ pins one upstream release in its
# go.mod/go.sum. A binary is cached under a name derived from those files, the
# link flags and the Go version, so a second build takes a second and a pin
# change rebuilds exactly what changed.

kubernetes_ldflags() {
    local flags="-s -w" pkg
    for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
        flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=36"
        flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
    done
    echo "$flags"
}

# build_module NAME LDFLAGS [PACKAGE]: go build PACKAGE (default: the module's own main)
# of scripts/cluster/NAME, cached; prints the path.
build_module() {
    local name=$1 ldflags=$2 package=${3:-.} dir=$CLUSTER_SRC/$1 key out
    key=$( (cat "$dir"/go.mod "$dir"/*.go; [[ -f $dir/go.sum ]] && cat "$dir/go.sum"; echo "$ldflags $package"; go version) | sha256sum | cut -c1-16)
    out=$CACHE_DIR/$name-$key
    if [[ ! -x $out ]]; then
        log "building $name from the Go module proxy (log: $CACHE_DIR/logs/build-$name.log)"
        mkdir -p "$CACHE_DIR/logs"
        local started=$SECONDS
        if ! (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.partial" "$package") \
            >"$CACHE_DIR/logs/build-$name.log" 2>&1; then
            tail -n 30 "$CACHE_DIR/logs/build-$name.log" >&2
            die "building $name failed"
        fi
        mv "$out.partial" "$out"
        log "built $name in $((SECONDS - started)) s"
        printf '%s %s %ds\n' "$(date -u +%FT%TZ)" "$name" "$((SECONDS - started))" >>"$CACHE_DIR/build-times"
    fi
    echo "$out"
}

link_commands() {
    local target=$1 command
    shift
    for command in "$@"; do
        ln -sfn "$target" "$BIN_DIR/$command"
    done
}

cmd_build() {
    command -v go >/dev/null || die "go is not installed (the binaries build from the Go module proxy)"
    mkdir -p "$BIN_DIR"
    link_commands "$(build_module kubernetes "$(kubernetes_ldflags)")" \
        kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm
    link_commands "$(build_module etcd "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION")" etcd
    link_commands "$(build_module coredns "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION")" coredns
    link_commands "$(build_module pause "-s -w")" pause
    link_commands "$(build_module kube-router "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION -X github.com/cloudnativelabs/kube-router/v2/pkg/version.BuildDate=2026-01-01T00:00:00Z")" kube-router
    log "binaries ready in $BIN_DIR ($("$BIN_DIR/kubectl" version --client 2>/dev/null | head -n1))"
}
