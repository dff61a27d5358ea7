//go:build libpcap && cgo

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcap"
)

// LiveBackend names the live capture implementation of this build:
// "afpacket" (Linux AF_PACKET sockets, no C library), "libpcap" (built with
// -tags libpcap and cgo) or "none".
const LiveBackend = "libpcap"

// pcapBufferSize is the kernel buffer libpcap is asked for, as large as the
// afpacket backend's ring.
const pcapBufferSize = 32 << 20

// OpenLive starts capturing on an interface and returns a Source of the
// frames seen there that carry IP, which also implements LinkTyper.
// Cancelling ctx ends the capture: Next then returns io.EOF within
// o.PollTimeout.
//
// This build captures through libpcap, which compiles o.Filter with its own
// compiler (the whole tcpdump syntax) for the interface's link type and
// attaches it in the kernel. Frames keep the link-layer header libpcap
// gives them, as tcpdump shows them: Ethernet with VLAN tags (libpcap puts
// back the tags Linux takes out, whatever o.VLANTags says), Linux cooked
// capture for "any", raw IP for tunnels; frames that carry no IPv4 or IPv6
// are skipped. libpcap itself hides the duplicate that loopback interfaces
// show of every packet.
//
// A filter expression that libpcap compiles for none of the link types
// ftpscope reads (a syntax error) is an error returned before anything
// else is checked.
//
// The errors for an interface that cannot be opened are *InterfaceError
// values matching ErrPermission, ErrNoInterface or ErrInterfaceDown.
func OpenLive(ctx context.Context, o LiveOptions) (Source, error) {
	hasFilter := strings.TrimSpace(o.Filter) != ""
	if hasFilter {
		if err := checkPcapFilter(o.Filter); err != nil {
			return nil, err
		}
	}
	ctx, o, _, _, err := prepareLive(ctx, o)
	if err != nil {
		return nil, err
	}

	inactive, err := pcap.NewInactiveHandle(o.Interface)
	if err != nil {
		return nil, fmt.Errorf("capture: opening %s: %w", o.Interface, err)
	}
	defer inactive.CleanUp()
	err = errors.Join(
		inactive.SetSnapLen(o.Snaplen),
		inactive.SetPromisc(o.Promisc && o.Interface != AnyInterface),
		inactive.SetTimeout(o.PollTimeout),
		inactive.SetImmediateMode(true),
		inactive.SetBufferSize(pcapBufferSize),
	)
	if err != nil {
		return nil, fmt.Errorf("capture: setting up %s: %w", o.Interface, err)
	}
	h, err := inactive.Activate()
	if err != nil {
		return nil, pcapOpenError(o.Interface, err)
	}
	if hasFilter {
		if err := h.SetBPFFilter(o.Filter); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture: filter %q on %s: %w", o.Filter, o.Interface, err)
		}
	}
	lt := h.LinkType()
	if !decode.Supported(lt) {
		h.Close()
		return nil, fmt.Errorf("capture: %s has link type %v, which ftpscope does not read (it reads %s)", o.Interface, lt, decode.SupportedLinkTypes)
	}
	src := newLiveSource(ctx, o.Interface, o.Snaplen, lt, &pcapHandle{h: h})
	src.reportIdle = o.ReportIdle
	return src, nil
}

// pcapOpenError maps libpcap's activation errors to the ones OpenLive
// documents. gopacket does not export its error type, so its messages are
// matched.
func pcapOpenError(name string, err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "not permitted"):
		return &InterfaceError{Interface: name, Kind: ErrPermission, Err: err}
	case strings.Contains(msg, "interface not up"):
		return &InterfaceError{Interface: name, Kind: ErrInterfaceDown, Err: err}
	case strings.Contains(msg, "no such device"):
		// The interface vanished since checkInterface saw it.
		_, _, cerr := checkInterface(name)
		if cerr != nil {
			return cerr
		}
	}
	return fmt.Errorf("capture: opening %s: %w", name, err)
}

// pcapHandle is a liveHandle over a libpcap handle.
type pcapHandle struct {
	h *pcap.Handle
}

func (p *pcapHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := p.h.ZeroCopyReadPacketData()
	switch {
	case errors.Is(err, pcap.NextErrorTimeoutExpired):
		return nil, ci, errPollTimeout
	case errors.Is(err, io.EOF):
		return nil, ci, io.EOF
	case errors.Is(err, pcap.NextErrorReadError):
		if perr := p.h.Error(); perr != nil && perr.Error() != "" {
			err = perr
		}
		return nil, ci, err
	}
	return data, ci, err
}

func (p *pcapHandle) dropped() (int64, error) {
	st, err := p.h.Stats()
	if err != nil {
		return 0, err
	}
	// PacketsIfDropped counts the interface's own drops, not this
	// capture's; it is left out as the afpacket build has no such count.
	return int64(st.PacketsDropped), nil
}

func (p *pcapHandle) close() { p.h.Close() }
