package filter

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// Matcher evaluates a filter in user space on raw packets, such as those
// read from a capture file. For each link type it runs the program Compile
// returns, compiled on first use and kept, on golang.org/x/net/bpf's
// virtual machine, which judges packets as the kernel does: a load past
// the end of the packet rejects it. (The machine gives a program that
// loads the packet length the captured length, where the kernel and
// libpcap give the length on the wire; this package's programs never load
// it.)
//
// A Matcher is not safe for concurrent use; make one per goroutine.
type Matcher struct {
	f     *Filter
	progs []linkProg
}

// linkProg is the machine for one link type, or why there is none.
type linkProg struct {
	lt  layers.LinkType
	vm  *bpf.VM
	err error
}

// NewMatcher returns a Matcher for f. A nil Filter's Matcher matches every
// packet.
func (f *Filter) NewMatcher() *Matcher {
	return &Matcher{f: f}
}

// Prepare compiles the filter for link type lt, if not done yet, and
// returns the error Compile gave, if any (a Matcher has no limit on the
// program's length). Match calls it itself; calling it first tells
// whether packets of lt can match at all.
func (m *Matcher) Prepare(lt layers.LinkType) error {
	if m.f == nil {
		return nil
	}
	return m.prog(lt).err
}

func (m *Matcher) prog(lt layers.LinkType) *linkProg {
	for i := range m.progs {
		if m.progs[i].lt == lt {
			return &m.progs[i]
		}
	}
	p := linkProg{lt: lt}
	var prog []bpf.RawInstruction
	prog, p.err = m.f.compile(lt, DefaultSnaplen)
	if p.err == nil {
		p.vm, p.err = vmFor(prog)
	}
	m.progs = append(m.progs, p)
	return &m.progs[len(m.progs)-1]
}

// Match tells whether the filter accepts data, a packet of link type lt
// starting at its link-layer header. A packet of a link type the filter
// cannot be compiled for (see Prepare) matches only a nil Filter.
func (m *Matcher) Match(data []byte, lt layers.LinkType) bool {
	if m.f == nil {
		return true
	}
	p := m.prog(lt)
	if p.err != nil {
		return false
	}
	n, err := p.vm.Run(data)
	return err == nil && n != 0
}

// vmFor loads prog into x/net/bpf's machine. It refuses what that
// machine would run otherwise than the kernel, so that a program from
// another compiler is not misjudged: instructions it does not know (negation, kernel extensions other than the packet length), and
// loads into X other than of a constant, a scratch slot or an IPv4 header
// length, which it would make loads into A.
func vmFor(prog []bpf.RawInstruction) (*bpf.VM, error) {
	ins, _ := bpf.Disassemble(prog)
	for i, in := range ins {
		ok := true
		switch in.(type) {
		case bpf.RawInstruction, bpf.NegateA:
			ok = false
		}
		if op := prog[i].Op; op&0x07 == clsLDX && op&0xe0 != modeIMM && op&0xe0 != modeMEM && op&0xe0 != modeMSH {
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("instruction %d (%v) is not one the user-space BPF machine runs", i, prog[i])
		}
	}
	return bpf.NewVM(ins)
}
