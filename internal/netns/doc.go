// Package netns makes throwaway Linux network namespaces joined by veth
// pairs, runs commands inside them and waits for what those commands set
// up, for end-to-end tests that run real FTP servers, clients and ftpscope
// itself without sending a packet anywhere but between namespaces the test
// made.
//
// It drives iproute2's ip(8) and ss(8): everything but Usable needs root
// (CAP_SYS_ADMIN to make a namespace, CAP_NET_ADMIN to configure it).
//
// # Typical use
//
//	if err := netns.Usable(); err != nil {
//		t.Skipf("skipping: %v", err)
//	}
//	p, err := netns.NewPair(ctx, "e2e1", netip.MustParsePrefix("10.77.1.0/24"))
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(func() { p.Close() })
//	cmd := p.Server.Command(ctx, "vsftpd", conf)
//
// A test that captures in its own namespace joins a namespace to it with
// IP ("link add HOST type veth peer name PEER netns NAME") and configures
// the inner end with NS.IP.
//
// # What it does not do
//
// It sets up no routes beyond the veth pair's own subnet, no NAT, no
// firewall and, by itself, no link to the machine's own namespace: what
// runs inside a Pair can reach only the other end of the pair. It never prints and never decides
// whether a test skips; callers do, from the errors it returns.
package netns
