package session

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestLoginTrackerBruteForce(t *testing.T) {
	var l loginTracker
	client := netip.MustParseAddrPort("10.0.0.9:40000")
	server := netip.MustParseAddrPort("10.0.0.2:21")
	other := netip.MustParseAddrPort("10.0.0.7:40000")
	// 9 failures spread over an hour from one client: never 10 within 5
	// minutes. Then 12 within a minute.
	for i := range 9 {
		l.fail(client, server, "admin", i+1, Time{t0.Add(time.Duration(i) * 7 * time.Minute)}, 0)
	}
	if fs := l.findings(10, 5*time.Minute); len(fs) != 0 {
		t.Fatalf("9 slow failures: %d findings", len(fs))
	}
	base := t0.Add(2 * time.Hour)
	for i := range 12 {
		l.fail(client, server, []string{"root", "admin", "test"}[i%3], 100+i, Time{base.Add(time.Duration(i) * 5 * time.Second)}, 0)
	}
	// Another client with 3 failures gets nothing.
	for i := range 3 {
		l.fail(other, server, "bob", 200+i, Time{base}, 0)
	}
	yes, user := true, "test"
	l.ended(&Session{Client: client, Server: server, LoggedIn: &yes, User: &user})
	fs := l.findings(10, 5*time.Minute)
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	f := fs[0]
	if f.Code != CodeLoginBruteForce || f.Severity != SeverityWarning {
		t.Errorf("%s %s", f.Code, f.Severity)
	}
	for _, want := range []string{"21 failed logins from 10.0.0.9 to 10.0.0.2:21", "users admin, root, test", "1 session then logged in as test"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	if !strings.Contains(f.Detail, "up to 12 within 5 min") {
		t.Errorf("detail %q", f.Detail)
	}
	// Evidence: the first failure, the 10th within the window, the last.
	if len(f.Evidence) != 3 || f.Evidence[0].Packet != 1 || f.Evidence[1].Packet != 109 || f.Evidence[2].Packet != 111 {
		t.Errorf("evidence %+v", f.Evidence)
	}
}

func TestLoginTrackerBounds(t *testing.T) {
	var l loginTracker
	server := netip.MustParseAddrPort("10.0.0.2:21")
	for i := range maxLoginPairs + 5 {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1000)
		l.fail(c, server, "x", i, Time{t0}, 0)
	}
	if len(l.pairs) != maxLoginPairs || l.dropped != 5 {
		t.Errorf("%d pairs, %d dropped", len(l.pairs), l.dropped)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1415: "1,415", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
