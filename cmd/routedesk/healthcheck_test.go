package main

import "testing"

func TestDialableTurnsListenAddressesIntoLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:8080":   "127.0.0.1:8080",
		":8080":          "127.0.0.1:8080",
		"[::]:8080":      "127.0.0.1:8080",
		"10.0.0.5:9000":  "10.0.0.5:9000",
		"127.0.0.1:8080": "127.0.0.1:8080",
		"api.local:80":   "api.local:80",
	} {
		if got := dialable(in); got != want {
			t.Errorf("dialable(%q) = %q, want %q", in, got, want)
		}
	}
}
