package filter

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// Matcher evaluates a filter in user space on raw packets, such as those
// read from a capture file. It runs the program Compile returns for the
// packet's link type, compiled on first use and kept, so it gives the same
// answer as the kernel would.
//
// A Matcher is not safe for concurrent use; make one per goroutine.
type Matcher struct {
	f     *Filter
	progs []linkProg
}

// linkProg is the program for one link type, or why there is none.
type linkProg struct {
	lt   layers.LinkType
	prog []bpf.RawInstruction
	err  error
}

// NewMatcher returns a Matcher for f. A nil Filter's Matcher matches every
// packet.
func (f *Filter) NewMatcher() *Matcher {
	return &Matcher{f: f}
}

// Prepare compiles the filter for link type lt, if not done yet, and
// returns the error Compile gave, if any (a Matcher has no limit on the
// program's length). Match calls it itself; calling it
// first tells whether packets of lt can match at all.
func (m *Matcher) Prepare(lt layers.LinkType) error {
	return m.prog(lt).err
}

func (m *Matcher) prog(lt layers.LinkType) *linkProg {
	for i := range m.progs {
		if m.progs[i].lt == lt {
			return &m.progs[i]
		}
	}
	prog, err := m.f.compile(lt, DefaultSnaplen)
	m.progs = append(m.progs, linkProg{lt: lt, prog: prog, err: err})
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
	return run(p.prog, data) != 0
}

// run executes a classic BPF program on pkt as the kernel does and returns
// its result: a load past the end of pkt, an unknown instruction or a
// division by zero rejects the packet. Kernel extensions (negative
// offsets) are not implemented and reject it too.
func run(prog []bpf.RawInstruction, pkt []byte) uint32 {
	var a, x uint32
	var mem [16]uint32
	ld := func(off uint32, size uint32) (uint32, bool) {
		end := uint64(off) + uint64(size)
		if end > uint64(len(pkt)) {
			return 0, false
		}
		switch size {
		case 4:
			return binary.BigEndian.Uint32(pkt[off:]), true
		case 2:
			return uint32(binary.BigEndian.Uint16(pkt[off:])), true
		}
		return uint32(pkt[off]), true
	}
	sizes := [4]uint32{4, 2, 1, 0}
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		op, k := in.Op, in.K
		switch op & 0x07 {
		case clsLD, clsLDX:
			var v uint32
			ok := true
			switch op & 0xe0 {
			case modeIMM:
				v = k
			case modeABS, modeIND:
				size := sizes[(op>>3)&0x03]
				off := k
				if op&0xe0 == modeIND {
					off = x + k
					if off < x {
						return 0
					}
				}
				if size == 0 || op&0x07 != clsLD {
					return 0
				}
				v, ok = ld(off, size)
			case modeMEM:
				if k >= 16 {
					return 0
				}
				v = mem[k]
			case modeLEN:
				v = uint32(len(pkt))
			case modeMSH:
				if op&0x07 != clsLDX || k >= uint32(len(pkt)) {
					return 0
				}
				v = 4 * uint32(pkt[k]&0x0f)
			default:
				return 0
			}
			if !ok {
				return 0
			}
			if op&0x07 == clsLD {
				a = v
			} else {
				x = v
			}
		case clsST, clsSTX:
			if k >= 16 {
				return 0
			}
			if op&0x07 == clsST {
				mem[k] = a
			} else {
				mem[k] = x
			}
		case clsALU:
			v := k
			if op&srcX != 0 {
				v = x
			}
			switch op & 0xf0 {
			case aluADD:
				a += v
			case aluSUB:
				a -= v
			case aluMUL:
				a *= v
			case aluDIV:
				if v == 0 {
					return 0
				}
				a /= v
			case aluMOD:
				if v == 0 {
					return 0
				}
				a %= v
			case aluOR:
				a |= v
			case aluAND:
				a &= v
			case aluXOR:
				a ^= v
			case aluLSH:
				a <<= v & 31
			case aluRSH:
				a >>= v & 31
			case aluNEG:
				a = -a
			default:
				return 0
			}
		case clsJMP:
			v := k
			if op&srcX != 0 {
				v = x
			}
			var yes bool
			switch op & 0xf0 {
			case opJA:
				pc += int(k)
				continue
			case opJEQ:
				yes = a == v
			case opJGT:
				yes = a > v
			case opJGE:
				yes = a >= v
			case opJSET:
				yes = a&v != 0
			default:
				return 0
			}
			if yes {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case clsRET:
			switch op & 0x18 {
			case srcK:
				return k
			case retA:
				return a
			}
			return 0
		case clsMISC:
			if op&0xf8 == miscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
	return 0
}
