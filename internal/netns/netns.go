package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, to be tested with errors.Is.
var (
	// ErrNotRoot means the process is not root, so it can make no
	// namespace.
	ErrNotRoot = errors.New("netns: not root")
	// ErrMissingTool means ip or ss (iproute2) is not installed.
	ErrMissingTool = errors.New("netns: iproute2 missing")
	// ErrNoNamespaces means ip netns add failed although the process is
	// root: a container without the right to make namespaces.
	ErrNoNamespaces = errors.New("netns: cannot create a network namespace")
)

// pollEvery is how often the Wait functions look again.
const pollEvery = 20 * time.Millisecond

// Usable reports why this process cannot make namespaces (ErrNotRoot,
// ErrMissingTool), or nil when it probably can: only NewPair or Add knows
// for sure (ErrNoNamespaces).
func Usable() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: network namespaces and veth pairs need root (CAP_SYS_ADMIN, CAP_NET_ADMIN), this process has uid %d", ErrNotRoot, os.Geteuid())
	}
	for _, tool := range []string{"ip", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not found (install iproute2): %v", ErrMissingTool, tool, err)
		}
	}
	return nil
}

// NS is a named network namespace made by Add.
type NS struct {
	// Name is the namespace's name under /run/netns.
	Name string
}

// Add makes the namespace name and brings its loopback interface up.
// Errors from ip netns add itself match ErrNoNamespaces.
func Add(ctx context.Context, name string) (*NS, error) {
	if out, err := exec.CommandContext(ctx, "ip", "netns", "add", name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: ip netns add %s: %v: %s", ErrNoNamespaces, name, err, bytes.TrimSpace(out))
	}
	n := &NS{Name: name}
	if err := n.IP(ctx, "link", "set", "lo", "up"); err != nil {
		n.Delete()
		return nil, err
	}
	return n, nil
}

// Delete removes the namespace; its interfaces go with it. Processes still
// running inside keep running (in a namespace without a name): stop them
// first.
func (n *NS) Delete() error {
	if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
		return fmt.Errorf("netns: ip netns del %s: %v: %s", n.Name, err, bytes.TrimSpace(out))
	}
	return nil
}

// IP runs ip -n NAME args... against the namespace.
func (n *NS) IP(ctx context.Context, args ...string) error {
	return IP(ctx, append([]string{"-n", n.Name}, args...)...)
}

// IP runs ip args... in this process's own network namespace, as a test
// does to join it to a namespace it made ("link add HOST type veth peer
// name PEER netns NAME") and to configure its end; the error quotes ip's
// output.
func IP(ctx context.Context, args ...string) error {
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("netns: ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Command returns a command that runs name with args inside the namespace
// (ip netns exec, which replaces itself with the program, so the command's
// process is the program's once it started).
func (n *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append([]string{"netns", "exec", n.Name, name}, args...)
	return exec.CommandContext(ctx, "ip", argv...)
}

// Output runs name with args inside the namespace and returns its
// standard output; the error quotes standard error.
func (n *NS) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := n.Command(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("netns: %s %s in %s: %v: %s", name, strings.Join(args, " "), n.Name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// WaitListen polls until something in the namespace listens on TCP port,
// or ctx ends.
func (n *NS) WaitListen(ctx context.Context, port uint16) error {
	filter := "sport = :" + strconv.Itoa(int(port))
	return n.poll(ctx, fmt.Sprintf("a TCP listener on port %d", port), func() (bool, string, error) {
		out, err := n.Output(ctx, "ss", "-Hltn", filter)
		return len(bytes.TrimSpace(out)) > 0, string(out), err
	})
}

// WaitPacketSocket polls until process pid, inside the namespace, has an
// AF_PACKET socket with a receive ring, or ctx ends. A capture program
// that binds its socket before it sets up its ring (as libpcap and
// gopacket's afpacket do) receives every packet from then on.
func (n *NS) WaitPacketSocket(ctx context.Context, pid int) error {
	owner := fmt.Sprintf("pid=%d,", pid)
	return n.poll(ctx, fmt.Sprintf("a packet socket with a receive ring in process %d", pid), func() (bool, string, error) {
		out, err := n.Output(ctx, "ss", "-H", "-0", "-e", "-p")
		return hasRingSocket(string(out), owner), string(out), err
	})
}

// hasRingSocket reports whether ss -H -0 -e -p output lists a socket of
// owner ("pid=N,") with an rx ring. ss prints each socket on one line and
// its details (ring_rx ...) on indented lines after it.
func hasRingSocket(ssOut, owner string) bool {
	mine := false
	for _, line := range strings.Split(ssOut, "\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			mine = strings.Contains(line, owner)
			continue
		}
		if mine && strings.Contains(line, "ring_rx(") {
			return true
		}
	}
	return false
}

// poll calls check every pollEvery until it reports done or ctx ends. A
// check error ends the wait at once only when ctx has ended too (the
// command was killed); otherwise it is kept for the final message.
func (n *NS) poll(ctx context.Context, what string, check func() (bool, string, error)) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		done, last, err := check()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("netns: waiting for %s in %s: %w (last look: %q, %v)", what, n.Name, ctx.Err(), last, err)
		case <-t.C:
		}
	}
}

// Pair is two namespaces joined by a veth pair: Client and Server, with
// ClientAddr on ClientDev and ServerAddr on ServerDev, in one subnet.
type Pair struct {
	Client, Server         *NS
	ClientDev, ServerDev   string
	ClientAddr, ServerAddr netip.Addr
	// Prefix is the subnet of the two addresses.
	Prefix netip.Prefix
}

// NewPair makes namespaces "ftpscope-TAG-c" and "ftpscope-TAG-s" joined by
// the veth pair "TAGc" – "TAGs" (tag is at most 14 bytes, an interface
// name's limit less one), the client end with the first host address of
// subnet, the server end with the second. On error it removes whatever it
// made.
func NewPair(ctx context.Context, tag string, subnet netip.Prefix) (_ *Pair, err error) {
	subnet = subnet.Masked()
	if len(tag) == 0 || len(tag) > 14 {
		return nil, fmt.Errorf("netns: tag %q must be 1 to 14 bytes long", tag)
	}
	if !subnet.Addr().Is4() || subnet.Bits() > 30 {
		return nil, fmt.Errorf("netns: subnet %s must be IPv4 with room for two hosts", subnet)
	}
	p := &Pair{
		ClientDev:  tag + "c",
		ServerDev:  tag + "s",
		ClientAddr: subnet.Addr().Next(),
		Prefix:     subnet,
	}
	p.ServerAddr = p.ClientAddr.Next()
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if p.Client, err = Add(ctx, "ftpscope-"+tag+"-c"); err != nil {
		return nil, err
	}
	if p.Server, err = Add(ctx, "ftpscope-"+tag+"-s"); err != nil {
		return nil, err
	}
	if err := p.Client.IP(ctx, "link", "add", p.ClientDev, "type", "veth", "peer", "name", p.ServerDev, "netns", p.Server.Name); err != nil {
		return nil, err
	}
	bits := strconv.Itoa(subnet.Bits())
	for _, end := range []struct {
		ns   *NS
		dev  string
		addr netip.Addr
	}{{p.Client, p.ClientDev, p.ClientAddr}, {p.Server, p.ServerDev, p.ServerAddr}} {
		if err := end.ns.IP(ctx, "addr", "add", end.addr.String()+"/"+bits, "dev", end.dev); err != nil {
			return nil, err
		}
		if err := end.ns.IP(ctx, "link", "set", end.dev, "up"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Close deletes both namespaces (the veth pair goes with them).
func (p *Pair) Close() error {
	var errs []error
	for _, ns := range []*NS{p.Client, p.Server} {
		if ns != nil {
			errs = append(errs, ns.Delete())
		}
	}
	return errors.Join(errs...)
}
