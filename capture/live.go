package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// AnyInterface is the interface name that captures on every interface of
// the network namespace at once.
const AnyInterface = "any"

// Live capture defaults and limits.
const (
	// DefaultSnaplen is the snap length used when LiveOptions.Snaplen is 0,
	// and the largest one accepted (tcpdump's limit too).
	DefaultSnaplen = 262144
	// DefaultPollTimeout is the poll timeout used when
	// LiveOptions.PollTimeout is 0.
	DefaultPollTimeout = 100 * time.Millisecond
)

// LiveOptions says what OpenLive captures and how.
type LiveOptions struct {
	// Interface is an interface name, or AnyInterface ("any") for all
	// interfaces of the current network namespace.
	Interface string
	// Snaplen is the most bytes kept of each packet, counted from the
	// start of its link-layer header as tcpdump counts; 0 means
	// DefaultSnaplen.
	Snaplen int
	// Filter is a BPF filter expression in tcpdump syntax; only the
	// packets it matches are captured, "" (or blanks) captures every IP
	// packet. The afpacket backend compiles it with package filter for
	// the source's link type (see LinkTyper) and attaches the program to
	// the socket; the libpcap backend has libpcap compile it for the
	// interface's link type, which reads the whole tcpdump syntax
	// (FullFilterSyntax). Either way the kernel runs it on the frame
	// with its VLAN tag taken out (see VLANTags): "host" and "port" see
	// tagged traffic; the afpacket backend refuses "vlan", which its
	// programs cannot tell there (libpcap's use the kernel's VLAN
	// extensions).
	//
	// Packets that reach the socket in the few microseconds between its
	// creation and the filter's attachment are not filtered by the kernel
	// (and on a loopback interface may be returned twice): the afpacket
	// backend runs the filter on every packet again in user space, and
	// libpcap does the same for those packets itself.
	Filter string
	// Promisc puts the interface into promiscuous mode for as long as the
	// capture is open. It is ignored for AnyInterface.
	Promisc bool
	// PollTimeout bounds how long one wait for packets lasts: Next notices
	// a cancelled context, and Close takes effect, within about this long.
	// 0 means DefaultPollTimeout.
	PollTimeout time.Duration
	// VLANTags puts back, in the frames of an Ethernet interface, the
	// 802.1Q or 802.1ad tag that Linux takes out of a frame on receipt
	// (and hands over beside it), as tcpdump shows them: priority, VLAN
	// ID and tag type as they were on the wire. It costs the afpacket
	// backend a copy of each tagged frame, so it is off unless the frames
	// are kept (ftpscope -w); the analysis does not need the tags. The
	// libpcap backend always puts them back.
	VLANTags bool
	// ReportIdle makes Next return ErrIdle when a wait for packets timed
	// out, so that the caller can move its clock on while the interface
	// is quiet (end idle sessions, stream what ended). Off, Next waits
	// until a packet arrives or the capture ends.
	ReportIdle bool
}

// normalize fills in defaults and rejects values out of range.
func (o LiveOptions) normalize() (LiveOptions, error) {
	switch {
	case o.Snaplen == 0:
		o.Snaplen = DefaultSnaplen
	case o.Snaplen < 0 || o.Snaplen > DefaultSnaplen:
		return o, fmt.Errorf("capture: snaplen %d out of range 1..%d", o.Snaplen, DefaultSnaplen)
	}
	switch {
	case o.PollTimeout == 0:
		o.PollTimeout = DefaultPollTimeout
	case o.PollTimeout < time.Millisecond:
		// Poll timeouts have millisecond granularity; less would spin.
		o.PollTimeout = time.Millisecond
	}
	return o, nil
}

// LinkTyper is implemented by the Sources OpenLive returns: every packet
// they return has the link type LinkType says, known from the moment the
// capture is open.
//
// On Linux the afpacket backend keeps the link layer of an Ethernet
// interface (and of a loopback one, which has an Ethernet header of
// zeros): layers.LinkTypeEthernet, MAC addresses included, and the VLAN
// tags with LiveOptions.VLANTags. Other interfaces (tunnels, WireGuard,
// PPP), and "any", give layers.LinkTypeRaw: packets from the IPv4 or IPv6
// header on. For "any" libpcap builds a Linux cooked header (SLL) from
// what the kernel says beside each packet (interface, packet type, source
// address), which gopacket's afpacket does not hand over: it reads only
// the interface index and the VLAN out of that. The libpcap backend gives
// the link type libpcap has for the interface (Linux cooked for "any").
type LinkTyper interface {
	LinkType() layers.LinkType
}

// Sentinel errors of OpenLive, to be tested with errors.Is. The error
// returned is an *InterfaceError, whose message says what to do.
var (
	// ErrPermission means the process may not open a packet socket.
	ErrPermission = errors.New("capture: permission denied")
	// ErrNoInterface means the interface does not exist.
	ErrNoInterface = errors.New("capture: no such interface")
	// ErrInterfaceDown means the interface exists but is not up.
	ErrInterfaceDown = errors.New("capture: interface is down")
	// ErrLiveUnsupported means this build cannot capture live.
	ErrLiveUnsupported = errors.New("capture: live capture not supported")
)

// InterfaceError is an interface OpenLive could not open.
type InterfaceError struct {
	// Interface is the interface name as given.
	Interface string
	// Kind is ErrPermission, ErrNoInterface or ErrInterfaceDown.
	Kind error
	// Available lists the interfaces that exist, in index order; set for
	// ErrNoInterface.
	Available []string
	// Err is the underlying system error, when there is one.
	Err error
}

// Error says what went wrong and, where it helps, what to do about it.
func (e *InterfaceError) Error() string {
	switch e.Kind {
	case ErrPermission:
		return fmt.Sprintf("permission denied opening %s: run as root or grant CAP_NET_RAW (sudo setcap cap_net_raw+ep $(which ftpscope))", e.Interface)
	case ErrNoInterface:
		list := "none"
		if len(e.Available) > 0 {
			list = strings.Join(e.Available, ", ")
		}
		return fmt.Sprintf("no interface %q; interfaces here: %s", e.Interface, list)
	case ErrInterfaceDown:
		return fmt.Sprintf("interface %s is down", e.Interface)
	}
	if e.Err != nil {
		return fmt.Sprintf("opening %s: %v", e.Interface, e.Err)
	}
	return fmt.Sprintf("opening %s: %v", e.Interface, e.Kind)
}

// Unwrap returns the sentinel and the underlying error.
func (e *InterfaceError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// prepareLive does what every backend's OpenLive does first: a usable
// context, options with their defaults, and an interface that exists and
// is up (with the indexes of the loopback interfaces).
func prepareLive(ctx context.Context, o LiveOptions) (context.Context, LiveOptions, net.Interface, []int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return ctx, o, net.Interface{}, nil, fmt.Errorf("capture: opening %s: %w", o.Interface, err)
	}
	o, err := o.normalize()
	if err != nil {
		return ctx, o, net.Interface{}, nil, err
	}
	ifc, loopbacks, err := checkInterface(o.Interface)
	return ctx, o, ifc, loopbacks, err
}

// checkInterface looks name up among the interfaces of this network
// namespace. It returns the interface (zero for AnyInterface) and the
// indexes of the loopback interfaces, or an *InterfaceError for a name
// that does not exist or an interface that is down.
func checkInterface(name string) (net.Interface, []int, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return net.Interface{}, nil, fmt.Errorf("capture: listing interfaces: %w", err)
	}
	var loopbacks []int
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 {
			loopbacks = append(loopbacks, ifc.Index)
		}
	}
	if name == AnyInterface {
		return net.Interface{}, loopbacks, nil
	}
	for _, ifc := range ifaces {
		if ifc.Name != name {
			continue
		}
		if ifc.Flags&net.FlagUp == 0 {
			return ifc, nil, &InterfaceError{Interface: name, Kind: ErrInterfaceDown}
		}
		return ifc, loopbacks, nil
	}
	names := make([]string, len(ifaces))
	for i, ifc := range ifaces {
		names[i] = ifc.Name
	}
	return net.Interface{}, nil, &InterfaceError{Interface: name, Kind: ErrNoInterface, Available: names}
}

// explainReadError says why reading from interface name failed when the
// reason is that the interface went down or was removed, which the kernel
// reports only as a bare error on the socket; otherwise it returns err.
func explainReadError(name string, err error) error {
	if name == AnyInterface {
		return err
	}
	ifc, lerr := net.InterfaceByName(name)
	switch {
	case lerr != nil:
		return fmt.Errorf("interface was removed (%w)", err)
	case ifc.Flags&net.FlagUp == 0:
		return fmt.Errorf("interface went down (%w)", err)
	}
	return err
}

// errPollTimeout is returned by liveHandle.read when no packet arrived
// within the poll timeout.
var errPollTimeout = errors.New("capture: poll timeout")

// liveHandle is one backend's open capture.
type liveHandle interface {
	// read returns the next packet, starting at its link-layer header
	// (of the source's link type), or errPollTimeout when none came within the poll timeout. The data may
	// alias the backend's buffers until the next read. A nil packet with a
	// nil error is a packet to skip; io.EOF means the handle was closed.
	read() ([]byte, gopacket.CaptureInfo, error)
	// dropped returns how many packets the kernel dropped so far.
	dropped() (int64, error)
	// close releases the handle. It is never called during a read.
	close()
}

// dropsRefreshEvery is how many packets Next returns between two reads of
// the kernel's drop counter, besides every poll timeout.
const dropsRefreshEvery = 1024

// liveSource is the Source returned by OpenLive, over either backend.
type liveSource struct {
	ctx        context.Context
	snaplen    int
	linkType   layers.LinkType
	reportIdle bool
	drainUntil time.Time // set when ctx is first seen cancelled
	closing    atomic.Bool

	// mu is held by Next for the whole of a read and by Close, so the
	// handle is never closed while a read is in progress.
	mu      sync.Mutex
	h       liveHandle // nil once closed
	buf     []byte     // the returned packet's bytes, reused
	n       int        // packets returned
	sinceDr int        // packets since the drop counter was read

	infoMu sync.Mutex // guards info: Infos may be called from elsewhere
	info   Info
}

var (
	_ Source    = (*liveSource)(nil)
	_ LinkTyper = (*liveSource)(nil)
)

func newLiveSource(ctx context.Context, name string, snaplen int, lt layers.LinkType, h liveHandle) *liveSource {
	return &liveSource{
		ctx:      ctx,
		snaplen:  snaplen,
		linkType: lt,
		h:        h,
		info:     Info{Name: name},
	}
}

// LinkType returns the link type of every packet Next returns.
func (s *liveSource) LinkType() layers.LinkType { return s.linkType }

// drainFor bounds how long a cancelled live capture keeps reading what
// the kernel already captured.
const drainFor = time.Second

// ErrIdle is returned by the Next of a live source opened with
// LiveOptions.ReportIdle when no packet arrived within the poll timeout.
// It is not an end: call Next again.
var ErrIdle = errors.New("capture: no packet within the poll timeout")

// Next returns the next frame that carries IPv4 or IPv6. Once the context is cancelled it
// returns what the kernel had already captured, then io.EOF at the first
// poll timeout (or after drainFor on a link that never goes quiet). It
// returns io.EOF at once after Close, and after a
// read error, which is recorded in Info.Errors.
//
// Packet.Data is a copy owned by the source, valid until the next call.
func (s *liveSource) Next() (Packet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.h == nil {
			return Packet{}, io.EOF
		}
		if s.closing.Load() {
			s.shutdownLocked(nil)
			return Packet{}, io.EOF
		}
		if s.ctx.Err() != nil {
			// Cancelled (Ctrl-C, --duration): first drain what the ring
			// already holds, or the last packets of a transfer are lost.
			// The ring is empty at the first poll timeout; a link that
			// never goes quiet is cut off at the deadline.
			if s.drainUntil.IsZero() {
				s.drainUntil = time.Now().Add(drainFor)
			} else if time.Now().After(s.drainUntil) {
				s.shutdownLocked(nil)
				return Packet{}, io.EOF
			}
		}
		data, ci, err := s.h.read()
		switch {
		case errors.Is(err, errPollTimeout):
			s.refreshDropsLocked()
			if s.ctx.Err() != nil {
				// Cancelled, and the ring stayed empty for a whole
				// poll: nothing is left to drain.
				s.shutdownLocked(nil)
				return Packet{}, io.EOF
			}
			if s.reportIdle {
				return Packet{}, ErrIdle
			}
			continue
		case errors.Is(err, io.EOF):
			s.shutdownLocked(nil)
			return Packet{}, io.EOF
		case err != nil:
			s.shutdownLocked(fmt.Errorf("%s: capture ended: %w", s.info.Name, explainReadError(s.info.Name, err)))
			return Packet{}, io.EOF
		}
		if _, ok := decode.IPPacket(s.linkType, data); !ok {
			// Not IP: only possible for packets that arrived before the
			// kernel filter was attached (afpacket), or that libpcap's
			// filter let through (without a filter).
			continue
		}
		if len(data) > s.snaplen {
			data = data[:s.snaplen]
		}
		s.buf = append(s.buf[:0], data...)
		ci.CaptureLength = len(s.buf)
		if ci.Length < ci.CaptureLength {
			ci.Length = ci.CaptureLength
		}
		s.n++
		s.record(ci)
		if s.sinceDr++; s.sinceDr >= dropsRefreshEvery {
			s.refreshDropsLocked()
		}
		return Packet{
			Data:     s.buf,
			Info:     ci,
			LinkType: s.linkType,
			Source:   0,
			Number:   s.n,
		}, nil
	}
}

// record counts one returned packet.
func (s *liveSource) record(ci gopacket.CaptureInfo) {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	if s.info.Packets == 0 {
		s.info.LinkTypes = []string{s.linkType.String()}
		s.info.FirstSeen = ci.Timestamp
	}
	s.info.Packets++
	s.info.Bytes += int64(ci.CaptureLength)
	s.info.LastSeen = ci.Timestamp
}

// refreshDropsLocked reads the kernel's drop counter. s.mu must be held.
func (s *liveSource) refreshDropsLocked() {
	s.sinceDr = 0
	d, err := s.h.dropped()
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	if err != nil {
		s.info.Dropped = -1
		return
	}
	s.info.Dropped = d
}

// shutdownLocked reads the drop counter a last time, records cause if not
// nil and closes the handle. s.mu must be held.
func (s *liveSource) shutdownLocked(cause error) {
	if s.h == nil {
		return
	}
	s.refreshDropsLocked()
	s.h.close()
	s.h = nil
	s.buf = nil
	if cause != nil {
		s.infoMu.Lock()
		s.info.Errors = append(s.info.Errors, cause.Error())
		s.infoMu.Unlock()
	}
}

// Infos returns the single interface's counters. It may be called from any
// goroutine, also while Next is waiting for packets.
func (s *liveSource) Infos() []Info {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	info := s.info
	info.LinkTypes = append([]string(nil), s.info.LinkTypes...)
	info.Errors = append([]string(nil), s.info.Errors...)
	return []Info{info}
}

// Close releases the socket. It may be called from any goroutine: if Next
// is waiting for packets, Close waits for that wait to end (at most the
// poll timeout), so the socket is never closed under a read. Closing twice
// is harmless.
func (s *liveSource) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdownLocked(nil)
	return nil
}
