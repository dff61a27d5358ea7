//go:build !linux || (libpcap && cgo)

package capture

import (
	"context"
	"fmt"
)

// LiveFanout says whether OpenLiveFanout can open several sockets on one
// interface in this build.
const LiveFanout = false

// MaxFanout is the most sockets OpenLiveFanout opens on one interface.
const MaxFanout = 1

// OpenLiveFanout opens one capture, as OpenLive, for n = 1: this build
// has no fanout groups, which need Linux's AF_PACKET sockets (the default
// build); for more it returns an error matching ErrLiveUnsupported.
func OpenLiveFanout(ctx context.Context, o LiveOptions, n int) ([]Source, error) {
	if n != 1 {
		return nil, fmt.Errorf("%w: %d sockets on %s: a fanout group needs the AF_PACKET build on Linux (this one is %s)", ErrLiveUnsupported, n, o.Interface, LiveBackend)
	}
	src, err := OpenLive(ctx, o)
	if err != nil {
		return nil, err
	}
	return []Source{src}, nil
}
