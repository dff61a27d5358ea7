//go:build libpcap && cgo

package capture

import (
	"fmt"
	"os"
	"strings"

	"github.com/ftpscope/ftpscope/decode"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"github.com/gopacket/gopacket/pcapgo"
)

// FullFilterSyntax tells whether this build compiles filters with libpcap,
// reading the whole tcpdump filter syntax, rather than with package
// filter, which reads the subset people use with FTP.
const FullFilterSyntax = true

// fileFilter returns what applies expr to the packets of files, or nil
// when expr is blank. libpcap compiles expr for each link type met, as
// tcpdump -r does for a file of that link type, and runs it with its own
// interpreter, which gives the packet's length on the wire to "len",
// "less" and "greater" (x/net/bpf's machine knows only the captured
// length). An expression libpcap compiles for none of the link types
// ftpscope reads (a syntax error) is an error.
func fileFilter(expr string) (func(Packet) bool, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	if err := checkPcapFilter(expr); err != nil {
		return nil, err
	}
	type linkBPF struct {
		lt  layers.LinkType
		bpf *pcap.BPF // nil: expr does not compile for lt, nothing matches
	}
	var progs []linkBPF
	return func(p Packet) bool {
		for _, l := range progs {
			if l.lt == p.LinkType {
				return l.bpf != nil && l.bpf.Matches(p.Info, p.Data)
			}
		}
		var b *pcap.BPF
		if decode.Supported(p.LinkType) {
			b, _ = pcapFileBPF(p.LinkType, expr)
		}
		progs = append(progs, linkBPF{p.LinkType, b})
		return b != nil && b.Matches(p.Info, p.Data)
	}, nil
}

// checkPcapFilter returns libpcap's error for expr when it compiles for
// none of the link types decode reads, so that a mistyped expression
// fails at once rather than matching nothing. An expression that matches
// nothing ("ip and ip6") is not an error: it leaves every packet out.
func checkPcapFilter(expr string) error {
	var first error
	for _, lt := range decode.LinkTypes() {
		_, err := pcapFileBPF(lt, expr)
		if err == nil || strings.Contains(err.Error(), "expression rejects all packets") {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return fmt.Errorf("filter: %q: %v (libpcap)", expr, first)
}

// pcapFileBPF has libpcap compile expr for the packets of a capture file
// of link type lt.
//
// libpcap compiles some link types differently for a file than for
// pcap_open_dead (BSD loopback: IPv6 is any of the BSDs' AF_INET6 values,
// not this host's), so expr is compiled on an empty file of link type lt,
// read through a pipe, exactly as tcpdump -r compiles it. Raw IP is
// written as LINKTYPE_RAW, which libpcap reads whatever number the system
// that wrote the file gave it.
func pcapFileBPF(lt layers.LinkType, expr string) (*pcap.BPF, error) {
	if f, _ := decode.FramingOf(lt); f == decode.FramingRaw {
		lt = layers.LinkTypeRaw
	}
	h, err := emptyPcap(lt)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return h.NewBPF(expr)
}

// emptyPcap returns a libpcap handle on a pcap file of link type lt that
// holds no packet.
func emptyPcap(lt layers.LinkType) (*pcap.Handle, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close() // libpcap reads a descriptor of its own
	// The 24-byte file header fits in any pipe's buffer.
	err = pcapgo.NewWriter(w).WriteFileHeader(DefaultSnaplen, lt)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return pcap.OpenOfflineFile(r)
}
