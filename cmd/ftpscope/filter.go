package main

import (
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
