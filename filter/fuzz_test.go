package filter

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FuzzParse checks that Parse never panics, that its errors say where the
// problem is, and that String reparses to a filter that compiles to the
// same program and prints the same.
func FuzzParse(f *testing.F) {
	for _, expr := range diffExprs {
		f.Add(expr)
	}
	for _, expr := range []string{
		"",                                  // empty: nil filter
		"tcp[13] & 2 != 0",                  // byte offsets: unsupported
		"ether host 00:11:22:33:44:55",      // link-layer address: unsupported
		"host ftp.example.org",              // needs DNS
		"port 21 or (20 and host 10.0.0.1)", // qualifier in a value list
		"((((((((port 21))))))))",           // deep parentheses
		"not not not ! ! port 21",           // stacked negations
		"host ::ffff:1.2.3.4 or ::",         // IPv6 forms
		"net 10.0.0.0 mask 255.0 or 10.1",   // short masks and nets
		"port 0x15 or 025 or 4294967296",    // number bases and overflow
		"portrange 65535-0",                 // reversed range
		"vlan 4095 and vlan 0 and vlan",     // stacked VLANs
		"src or dst and src and dst port 1", // direction pairs
		"(tcp or udp",                       // unbalanced
		"port 21 and",                       // dangling operator
		"host fe80::1%eth0",                 // zone
		"\x00\xff port",                     // bytes outside ASCII
	} {
		f.Add(expr)
	}
	lts := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2, layers.LinkTypeNull}
	pkt := sample{"", etherIPv4, ser(append([]gopacket.SerializableLayer{ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP)}, transport(layers.IPProtocolTCP, [2]uint16{21, 50000})...)...)}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Parse(expr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %v is not an *Error", expr, err)
			}
			if e.Offset < 0 || e.Offset > len(expr) || e.Expr != expr {
				t.Fatalf("Parse(%q): error %v at offset %d", expr, err, e.Offset)
			}
			return
		}
		if flt == nil {
			return
		}
		s := flt.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", expr, s, err)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("String of %q is %q, then %q", expr, s, s2)
		}
		m := flt.NewMatcher()
		for _, lt := range lts {
			p1, err1 := flt.compile(lt, 0)
			p2, err2 := again.compile(lt, 0)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("%q and %q: Compile errors %v and %v", expr, s, err1, err2)
			}
			if diff := cmp.Diff(p1, p2); diff != "" {
				t.Fatalf("%q and %q compile differently for %s:\n%s", expr, s, lt, diff)
			}
			frame := pkt.frame(lt, 0)
			for n := 0; n <= len(frame); n += 7 {
				m.Match(frame[:n], lt)
			}
		}
	})
}
