// Package egress decides which network addresses routedesk may connect to on a tenant's behalf
// (SMTP relays, IMAP servers, custom apps' URLs), so a channel's configuration cannot point
// routedesk at the machine itself, the private network or a cloud metadata service.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Policy lists the internal networks routedesk may still connect to; every other internal address is refused.
type Policy struct {
	// Allowed are networks allowed although internal: on-premises relays (10.0.0.0/8), loopback in dev.
	Allowed []netip.Prefix
}

// Loopback are the loopback networks, which `routedesk dev` and tests allow.
var Loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// internal are the ranges refused unless allowed: loopback, private, shared (CGNAT), link-local (cloud
// metadata), unspecified, benchmarking, IETF protocol assignments, multicast and broadcast.
var internal = []struct {
	net  netip.Prefix
	what string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (cloud metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("fc00::/7"), "a private address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var current atomic.Pointer[Policy]

// Set makes p the process's policy; `routedesk server` and `worker` set theirs from
// ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS, `routedesk dev` adds Loopback. Until then loopback is allowed.
func Set(p Policy) { current.Store(&p) }

// Current is the process's policy.
func Current() Policy {
	if p := current.Load(); p != nil {
		return *p
	}
	return Policy{Allowed: Loopback}
}

// ParseNetworks reads a comma-separated list of CIDRs or addresses (ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS).
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// BlockedError is a connection refused because its address is internal and not allowed.
type BlockedError struct {
	Host string
	Addr netip.Addr
	What string
}

// Error names the address, why it is refused and the setting that allows it.
func (e *BlockedError) Error() string {
	host := ""
	if e.Host != "" && e.Host != e.Addr.String() {
		host = e.Host + " is "
	}
	return fmt.Sprintf("%s%s, %s: routedesk does not connect to internal addresses (an on-premises install allows them with ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS)",
		host, e.Addr, e.What)
}

// CheckAddr refuses a (an IPv4-mapped address counts as IPv4) in an internal range p does not allow.
func (p Policy) CheckAddr(host string, a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, allowed := range p.Allowed {
		if allowed.Contains(a) {
			return nil
		}
	}
	for _, r := range internal {
		if r.net.Contains(a) {
			return &BlockedError{Host: host, Addr: a, What: r.what}
		}
	}
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return &BlockedError{Host: host, Addr: a, What: "the broadcast address"}
	}
	return nil
}

// CheckHost refuses, at save time, a host that is an internal address literal or localhost; a name is
// checked again after DNS resolution, when it is dialled.
func CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return Current().CheckAddr(host, netip.MustParseAddr("127.0.0.1"))
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return Current().CheckAddr(host, a)
	}
	return nil
}

// control refuses, after DNS resolution, a connection to an address the policy does not allow.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: unexpected dial address %q: %w", address, err)
	}
	return Current().CheckAddr("", ap.Addr())
}

// Dialer returns a dialer with timeout that refuses internal addresses after DNS resolution.
func Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: control}
}

// Transport returns an HTTP transport that refuses internal addresses after DNS resolution and uses no proxy.
func Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = Dialer(30 * time.Second).DialContext
	return t
}

// Resolve returns an address of host to dial that the policy allows: host itself when it is an IP
// literal, else the first allowed address DNS gives. Dialling the returned address pins the check.
func Resolve(ctx context.Context, host string) (string, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if err := Current().CheckAddr(host, a); err != nil {
			return "", err
		}
		return a.String(), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", host, err)
	}
	var refused error
	for _, a := range addrs {
		if err := Current().CheckAddr(host, a); err != nil {
			refused = err
			continue
		}
		return a.Unmap().String(), nil
	}
	if refused == nil {
		refused = fmt.Errorf("resolve %s: no address", host)
	}
	return "", refused
}

// IsBlocked reports whether err is (or wraps) a refusal of this package.
func IsBlocked(err error) bool {
	var b *BlockedError
	return errors.As(err, &b)
}
