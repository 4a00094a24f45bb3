package devtemporal

import (
	"fmt"
	"net"
	"strconv"

	"go.temporal.io/server/common/testing/freeport"
)

// pickPort returns port when it is free on host, or a free port when port is 0.
func pickPort(host string, port int) (p int, err error) {
	if port != 0 {
		return port, checkPortFree(host, port)
	}
	defer func() {
		if r := recover(); r != nil { // freeport panics when no port can be bound
			err = fmt.Errorf("pick a free port: %v", r)
		}
	}()
	return freeport.MustGetFreePort(), nil
}

// checkPortFree reports an error when host:port cannot be listened on.
func checkPortFree(host string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on %s is not available: %w", port, host, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("release port %d on %s: %w", port, host, err)
	}
	return nil
}

// dialHost is the address clients use to reach a listener bound on host:
// the loopback address when host is unspecified (0.0.0.0 or ::).
func dialHost(host string) string {
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if host == "" || ip != nil {
			return "127.0.0.1"
		}
	}
	return host
}
