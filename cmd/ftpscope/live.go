package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// openLive opens the interface of -i with the filter of -f: one socket
// per worker (liveSockets) in one fanout group, each analysed on a core
// of its own.
func openLive(ctx context.Context, o options, stderr io.Writer) ([]capture.Source, error) {
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		// The source ends when ctx does; cancel is released with it.
		go func() { <-ctx.Done(); cancel() }()
	}
	lo := capture.LiveOptions{Interface: o.iface, Filter: o.filter, Promisc: true, PollTimeout: 250 * time.Millisecond, ReportIdle: true,
		// The frames written keep their VLAN tags; the analysis needs
		// none.
		VLANTags: o.write != ""}
	return capture.OpenLiveFanout(ctx, lo, liveSockets(o, stderr))
}

// liveSockets is how many sockets, and so cores, a live capture runs on:
// --workers (0: every core), or one when the packets are written (-w
// writes them in the order one socket read them), or in a build that
// has no fanout groups, which says so when more were asked for.
func liveSockets(o options, stderr io.Writer) int {
	n := min(cmp.Or(o.workers, runtime.NumCPU()), capture.MaxFanout)
	switch {
	case n <= 1, o.write != "":
		return 1
	case !capture.LiveFanout:
		if o.workers > 1 {
			fmt.Fprintf(stderr, "ftpscope: note: --workers %d: live capture runs on one core in this build (%s); several need the default AF_PACKET build on Linux\n", o.workers, capture.LiveBackend)
		}
		return 1
	}
	return n
}

// socketsLine says, for the end of a live capture with -v, what each
// socket of the capture read and what the kernel dropped on it:
// "ftpscope: eth0: 2 sockets: 1200 and 980 packets, 0 and 0 dropped by
// the kernel".
func socketsLine(iface string, srcs []capture.Source) string {
	var packets, drops []string
	for _, src := range srcs {
		for _, in := range src.Infos() {
			packets = append(packets, fmt.Sprint(in.Packets))
			d := "unknown"
			if in.Dropped >= 0 {
				d = fmt.Sprint(in.Dropped)
			}
			drops = append(drops, d)
		}
	}
	return fmt.Sprintf("ftpscope: %s: %s: %s packets, %s dropped by the kernel", iface,
		plural(len(packets), "socket", "sockets"), andList(packets), andList(drops))
}

// droppedPerSocket lists the kernel drops of each socket of a capture on
// several, "0, 12 and 3", for the warning about drops; "" for one.
func droppedPerSocket(srcs []capture.Source) string {
	if len(srcs) < 2 {
		return ""
	}
	var drops []string
	for _, src := range srcs {
		for _, in := range src.Infos() {
			drops = append(drops, fmt.Sprint(max(in.Dropped, 0)))
		}
	}
	return andList(drops)
}

// andList joins "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// allInfos returns the Infos of every source, for whoever reads them
// while the capture runs (the metrics, the status line).
func allInfos(srcs []capture.Source) func() []capture.Info {
	return func() []capture.Info {
		var out []capture.Info
		for _, src := range srcs {
			out = append(out, src.Infos()...)
		}
		return out
	}
}

func liveBackend() string { return capture.LiveBackend }

func liveBackendHelp() string {
	if capture.FullFilterSyntax {
		return "libpcap (full tcpdump filter syntax,\nfor files too)"
	}
	return "AF_PACKET, CGO-free, on one socket per\n--workers core in a fanout group.\nFilters: the tcpdump subset host, net, port, portrange, src/dst, tcp, udp, icmp,\nip, ip6, vlan, and/or/not; build with -tags libpcap for the full syntax"
}
