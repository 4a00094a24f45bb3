package egress

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// strict sets the production policy (no internal network allowed) for the test.
func strict(t *testing.T, allowed ...netip.Prefix) {
	t.Helper()
	before := Current()
	Set(Policy{Allowed: allowed})
	t.Cleanup(func() { Set(before) })
}

func TestCheckAddrRefusesInternalRanges(t *testing.T) {
	p := Policy{}
	for _, a := range []string{"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "224.0.0.1", "255.255.255.255", "64:ff9b::a00:1"} {
		if err := p.CheckAddr("", netip.MustParseAddr(a)); err == nil || !IsBlocked(err) {
			t.Errorf("%s: err = %v, want blocked", a, err)
		}
	}
	for _, a := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"} {
		if err := p.CheckAddr("", netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	onPrem := Policy{Allowed: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	if err := onPrem.CheckAddr("", netip.MustParseAddr("10.20.3.4")); err != nil {
		t.Errorf("an allowed network is refused: %v", err)
	}
	if err := onPrem.CheckAddr("", netip.MustParseAddr("10.21.0.1")); err == nil {
		t.Error("outside the allowed network is allowed")
	}
	err := p.CheckAddr("relay.example", netip.MustParseAddr("169.254.169.254"))
	if !strings.Contains(err.Error(), "relay.example is 169.254.169.254") || !strings.Contains(err.Error(), "ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS") {
		t.Errorf("the refusal does not name the host, the address and the setting: %v", err)
	}
}

func TestParseNetworks(t *testing.T) {
	got, err := ParseNetworks(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,")
	if err != nil || len(got) != 3 || got[1].String() != "192.168.1.7/32" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ParseNetworks("10.0.0.0/8,intranet"); err == nil {
		t.Error("a name is accepted as a network")
	}
}

func TestCheckHostAtSaveTime(t *testing.T) {
	strict(t)
	for _, h := range []string{"localhost", "LOCALHOST.", "db.localhost", "127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254"} {
		if err := CheckHost(h); err == nil {
			t.Errorf("%s is accepted", h)
		}
	}
	if err := CheckHost("smtp.example.com"); err != nil {
		t.Errorf("a name is refused before it is resolved: %v", err)
	}
	Set(Policy{Allowed: Loopback})
	if err := CheckHost("localhost"); err != nil {
		t.Errorf("dev refuses localhost: %v", err)
	}
}

// TestDialRefusesAfterResolution: a name that resolves to loopback passes the save-time check but not the dial.
func TestDialRefusesAfterResolution(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "http://localhost:" + port + "/"

	client := &http.Client{Timeout: 5 * time.Second, Transport: Transport()}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("loopback allowed by default: %v", err)
	}
	resp.Body.Close()

	strict(t)
	_, err = (&http.Client{Timeout: 5 * time.Second, Transport: Transport()}).Get(url)
	if err == nil || !IsBlocked(err) {
		t.Fatalf("dial to a name resolving to loopback: err = %v, want blocked", err)
	}
	if _, err := Resolve(context.Background(), "localhost"); !IsBlocked(err) {
		t.Errorf("Resolve(localhost) = %v, want blocked", err)
	}
	if _, err := Dialer(time.Second).Dial("tcp", srv.Listener.Addr().String()); !IsBlocked(err) {
		t.Errorf("Dial = %v, want blocked", err)
	}
	strict(t, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	if a, err := Resolve(context.Background(), "localhost"); err != nil || !netip.MustParseAddr(a).IsLoopback() {
		t.Errorf("Resolve(localhost) with loopback allowed = %q, %v", a, err)
	}
}
