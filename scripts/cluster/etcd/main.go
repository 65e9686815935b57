// Command etcd is upstream etcd v3.6.8's server entry point, built from the Go
// module proxy so the local CI cluster needs no downloaded release archive.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
