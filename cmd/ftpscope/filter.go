package main

import (
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/filter"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// packetFilter applies -f to packets in user space and compiles it for
// the kernel.
type packetFilter struct {
	expr string
	f    *filter.Filter
	m    *filter.Matcher
}

func newPacketFilter(expr string) (*packetFilter, error) {
	if expr == "" {
		return nil, nil
	}
	f, err := filter.Parse(expr)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if f == nil {
		return nil, nil
	}
	return &packetFilter{expr: expr, f: f, m: f.NewMatcher()}, nil
}

func (p *packetFilter) match(data []byte, lt layers.LinkType) bool { return p.m.Match(data, lt) }

func (p *packetFilter) kernel(lt layers.LinkType) ([]bpf.RawInstruction, error) {
	return p.f.Compile(lt, 262144)
}

// source returns src with only the packets that match the filter.
// Packet numbers stay those of the input.
func (p *packetFilter) source(src capture.Source) capture.Source {
	return &filteredSource{Source: src, f: p}
}

// filteredSource is a Source that skips the packets its filter rejects.
type filteredSource struct {
	capture.Source
	f *packetFilter
}

func (s *filteredSource) Next() (capture.Packet, error) {
	for {
		p, err := s.Source.Next()
		if err != nil || s.f.match(p.Data, p.LinkType) {
			return p, err
		}
	}
}

// Progress forwards the progress of a file source.
func (s *filteredSource) Progress() (read, total int64) {
	if p, ok := s.Source.(capture.Progresser); ok {
		return p.Progress()
	}
	return 0, 0
}
