package main

import (
	"context"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// openLive opens the interface of -i with the filter of -f.
func openLive(ctx context.Context, o options) (capture.Source, error) {
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
	return capture.OpenLive(ctx, lo)
}

func liveBackend() string { return capture.LiveBackend }

func liveBackendHelp() string {
	if capture.FullFilterSyntax {
		return "libpcap (full tcpdump filter syntax,\nfor files too)"
	}
	return "AF_PACKET, CGO-free.\nFilters: the tcpdump subset host, net, port, portrange, src/dst, tcp, udp, icmp,\nip, ip6, vlan, and/or/not; build with -tags libpcap for the full syntax"
}
