// Command pause is the pod sandbox's first process: it holds the pod's
// namespaces open, reaps orphaned children (it is PID 1 when the pod shares
// its process namespace) and exits on SIGINT or SIGTERM. The project builds it
// itself because no registry is reachable to pull the upstream pause image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
