//go:build tools

// Package networkpolicies pins kind's NetworkPolicy implementation,
// sigs.k8s.io/kube-network-policies v0.8.0; scripts/local-cluster builds its
// command from the Go module proxy: the enforcer of the chart's NetworkPolicies.
package networkpolicies

import (
	_ "sigs.k8s.io/kube-network-policies/cmd"
)
