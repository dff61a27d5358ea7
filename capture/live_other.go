//go:build !linux && !(libpcap && cgo)

package capture

import (
	"context"
	"fmt"

	"github.com/ftpscope/ftpscope/filter"
)

// LiveBackend names the live capture implementation of this build:
// "afpacket" (Linux AF_PACKET sockets, no C library), "libpcap" (built with
// -tags libpcap and cgo) or "none".
const LiveBackend = "none"

// OpenLive cannot capture in this build: live capture needs Linux, or a
// build with cgo and -tags libpcap. It returns an error matching
// ErrLiveUnsupported, or first a *filter.Error, ErrNoInterface or
// ErrInterfaceDown as on Linux.
func OpenLive(ctx context.Context, o LiveOptions) (Source, error) {
	// A mistyped filter or name is reported as on Linux, being the first
	// thing to fix.
	if _, err := filter.Parse(o.Filter); err != nil {
		return nil, err
	}
	if _, _, err := checkInterface(o.Interface); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w on this system: live capture on %s needs Linux, or a build with cgo and -tags libpcap", ErrLiveUnsupported, o.Interface)
}
