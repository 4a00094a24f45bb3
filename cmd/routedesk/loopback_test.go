package main

import "testing"

// Only a Temporal frontend on this machine is dialled without gzip.
func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7233":              true,
		"127.0.0.2:7233":              true,
		"localhost:7233":              true,
		"[::1]:7233":                  true,
		"10.0.0.5:7233":               false,
		"temporal:7233":               false,
		"acme.tmprl.cloud:7233":       false,
		"127.0.0.1":                   false, // not host:port
		"[2001:db8::1]:7233":          false,
		"ns.a1b2c.tmprl.cloud:7233":   false,
		"localhost.example.com:7233":  false,
		"0.0.0.0:7233":                false,
		"::1":                         false,
		"[::ffff:127.0.0.1]:7233":     true,
		"127.255.255.254:7233":        true,
		"[fe80::1]:7233":              false,
		"routedesk-temporal-1:7233":   false,
		"temporal.internal.corp:7233": false,
		"192.168.1.10:7233":           false,
		"169.254.0.1:7233":            false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
