// Command kube-router is kube-router v2.1.0's NetworkPolicy controller (iptables
// and ipset) for the local CI cluster, whose pods sit on one bridge and whose
// Services kube-proxy already serves: only the firewall is compiled in use.
//
// It follows upstream's cmd/kube-router main, with two differences:
//   - refusing --run-router and --run-service-proxy, which would rewrite the
//     host's routes and replace kube-proxy;
//   - --cleanup-config removing only the firewall's chains and ipsets. Upstream's
//     cleanup builds an empty controller (v2.1.0), so it removes none of the
//     firewall's rules, and it flushes every IPVS service on the host.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"

	"github.com/cloudnativelabs/kube-router/v2/pkg/cmd"
	"github.com/cloudnativelabs/kube-router/v2/pkg/controllers/netpol"
	"github.com/cloudnativelabs/kube-router/v2/pkg/options"
	"github.com/cloudnativelabs/kube-router/v2/pkg/version"
	"github.com/spf13/pflag"
	"k8s.io/client-go/informers"
	"k8s.io/klog/v2"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s\n", err)
		os.Exit(1)
	}
}

func run() error {
	klog.InitFlags(nil)
	config := options.NewKubeRouterConfig()
	config.AddFlags(pflag.CommandLine)
	pflag.Parse()
	// As upstream: klog's flags live in the standard flag set (kubernetes/kubernetes#17162).
	if err := flag.CommandLine.Parse([]string{}); err != nil {
		return fmt.Errorf("failed to parse flags: %w", err)
	}
	if err := flag.Set("logtostderr", "true"); err != nil {
		return err
	}
	if err := flag.Set("v", config.VLevel); err != nil {
		return err
	}
	switch {
	case config.HelpRequested:
		pflag.Usage()
		return nil
	case config.Version:
		version.PrintVersion(false)
		return nil
	case os.Geteuid() != 0:
		return errors.New("kube-router needs root to run iptables and ipset")
	case config.RunRouter || config.RunServiceProxy || config.RunLoadBalancer:
		return errors.New("this build runs the firewall only: pass --run-router=false --run-service-proxy=false")
	}
	kubeRouter, err := cmd.NewKubeRouterDefault(config)
	if err != nil {
		return fmt.Errorf("failed to parse kube-router config: %w", err)
	}
	if config.CleanupConfig {
		return cleanupFirewall(kubeRouter, config)
	}
	return kubeRouter.Run()
}

// cleanupFirewall removes the KUBE-ROUTER-* and KUBE-NWPLCY-/KUBE-POD-FW- chains, the
// jumps into them and the KUBE-SRC-/KUBE-DST- ipsets. The controller must be built
// in full (it reads this node's addresses from the API server) for its Cleanup to
// see any rule.
func cleanupFirewall(kubeRouter *cmd.KubeRouter, config *options.KubeRouterConfig) error {
	iptables, ipsets, err := netpol.NewIPTablesHandlers(config)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(kubeRouter.Client, 0)
	controller, err := netpol.NewNetworkPolicyController(kubeRouter.Client, config,
		factory.Core().V1().Pods().Informer(), factory.Networking().V1().NetworkPolicies().Informer(),
		factory.Core().V1().Namespaces().Informer(), &sync.Mutex{}, iptables, ipsets)
	if err != nil {
		return err
	}
	controller.Cleanup()
	return nil
}
