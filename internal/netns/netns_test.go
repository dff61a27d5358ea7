package netns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHasRingSocket reads ss -H -0 -e -p output as iproute2 6.1 prints it.
func TestHasRingSocket(t *testing.T) {
	const ready = "p_dgr 0      0                  *:fsxc             *     users:((\"ftpscope\",pid=31013,fd=3)) ino:211484 sk:c\n" +
		"\tver:2 cpy_thresh:0 flags( running )\n" +
		"\tring_rx(blk_size:1048576,blk_nr:32,frm_size:4096,frm_nr:8192,tmo:64,features:0x0)\n"
	tests := []struct {
		name, out, owner string
		want             bool
	}{
		{"socket with ring", ready, "pid=31013,", true},
		{"other process", ready, "pid=3101,", false},
		{"no sockets", "", "pid=31013,", false},
		{"socket before its ring", "p_dgr 0 0 *:fsxc * users:((\"ftpscope\",pid=31013,fd=3)) ino:211484 sk:c\n\tver:0 cpy_thresh:0 flags( running )\n", "pid=31013,", false},
		{"ring of the next socket is not ours", "p_raw 0 0 *:* * users:((\"ftpscope\",pid=31013,fd=3))\n\tver:0\np_dgr 0 0 *:* * users:((\"tcpdump\",pid=7,fd=3))\n\tring_rx(blk_size:1)\n", "pid=31013,", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasRingSocket(tt.out, tt.owner); got != tt.want {
				t.Errorf("hasRingSocket = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNewPair builds a pair as root, checks that each end has its address
// and reaches the other, and that Close removes both namespaces.
func TestNewPair(t *testing.T) {
	if err := Usable(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tag := fmt.Sprintf("nt%d", os.Getpid()%100000)
	p, err := NewPair(ctx, tag, netip.MustParsePrefix("10.77.254.0/24"))
	if errors.Is(err, ErrNoNamespaces) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			p.Close()
		}
	})

	got := map[string]string{}
	for _, end := range []struct {
		ns  *NS
		dev string
	}{{p.Client, p.ClientDev}, {p.Server, p.ServerDev}} {
		out, err := end.ns.Output(ctx, "ip", "-o", "-4", "addr", "show", "dev", end.dev)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(out))
		if len(f) < 4 {
			t.Fatalf("ip addr show %s: %q", end.dev, out)
		}
		got[end.ns.Name+" "+end.dev] = f[3]
	}
	want := map[string]string{
		"ftpscope-" + tag + "-c " + tag + "c": "10.77.254.1/24",
		"ftpscope-" + tag + "-s " + tag + "s": "10.77.254.2/24",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}

	// Nothing listens yet: WaitListen gives up when ctx does.
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	err = p.Server.WaitListen(short, 2121)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitListen with no listener: %v, want a deadline error", err)
	}

	if _, err := exec.LookPath("ping"); err == nil {
		if out, err := p.Client.Output(ctx, "ping", "-c", "1", "-W", "5", p.ServerAddr.String()); err != nil {
			t.Errorf("client cannot reach the server: %v\n%s", err, out)
		}
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), tag) {
		t.Errorf("namespaces left after Close:\n%s", out)
	}
}
