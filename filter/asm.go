package filter

import "golang.org/x/net/bpf"

// Classic BPF opcodes (linux/filter.h), as raw instructions carry them:
// those this package's programs use.
const (
	clsLD  = 0x00
	clsLDX = 0x01
	clsALU = 0x04
	clsJMP = 0x05
	clsRET = 0x06

	szW = 0x00
	szH = 0x08
	szB = 0x10

	modeIMM = 0x00
	modeABS = 0x20
	modeIND = 0x40
	modeMEM = 0x60
	modeMSH = 0xa0

	srcK = 0x00

	aluAND = 0x50

	opJA   = 0x00
	opJEQ  = 0x10
	opJGT  = 0x20
	opJGE  = 0x30
	opJSET = 0x40

	opRetK = clsRET | srcK
)

var sizeCode = map[uint8]uint16{1: szB, 2: szH, 4: szW}

// insn is an instruction whose jump targets are labels.
type insn struct {
	op     uint16
	k      uint32
	jt, jf int // labels of a conditional jump; jt is the target of a ja
}

// asmItem is an instruction or, when isLabel, the place of a label.
type asmItem struct {
	isLabel bool
	label   int
	in      insn
}

// regs is what the code generator knows A and X hold.
type regs struct {
	aKnown bool
	a      load
	xKnown bool
	x      uint32
}

// merge keeps what both states agree on.
func (r regs) merge(o regs) regs {
	if !o.aKnown || !r.aKnown || o.a != r.a {
		r.aKnown = false
	}
	if !o.xKnown || !r.xKnown || o.x != r.x {
		r.xKnown = false
	}
	return r
}

// codegen turns a cond into instructions with symbolic jumps. Every jump
// is forward, so when a label is placed every jump to it has been emitted
// and the registers' contents there are known: a load is skipped when A
// already holds it on every path.
type codegen struct {
	items   []asmItem
	in      []regs // per label: merged state of the jumps to it
	reached []bool
	cur     regs
}

func (g *codegen) newLabel() int {
	g.in = append(g.in, regs{})
	g.reached = append(g.reached, false)
	return len(g.in) - 1
}

func (g *codegen) place(l int) {
	g.items = append(g.items, asmItem{isLabel: true, label: l})
	g.cur = regs{}
	if g.reached[l] {
		g.cur = g.in[l]
	}
}

func (g *codegen) jumpTo(l int) {
	if g.reached[l] {
		g.in[l] = g.in[l].merge(g.cur)
	} else {
		g.in[l], g.reached[l] = g.cur, true
	}
}

func (g *codegen) emit(in insn) { g.items = append(g.items, asmItem{in: in}) }

func (g *codegen) gen(c *cond, t, f int) {
	switch c.op {
	case cAnd:
		mid := g.newLabel()
		g.gen(c.a, mid, f)
		g.place(mid)
		g.gen(c.b, t, f)
	case cOr:
		mid := g.newLabel()
		g.gen(c.a, t, mid)
		g.place(mid)
		g.gen(c.b, t, f)
	case cNot:
		g.gen(c.a, f, t)
	case cTrue, cFalse:
		// and, or and not fold constants away below the root.
		target := t
		if c.op == cFalse {
			target = f
		}
		g.jumpTo(target)
		g.emit(insn{op: clsJMP | opJA, jt: target})
	case cTest:
		ld := c.t.ld
		if !g.cur.aKnown || g.cur.a != ld {
			if ld.ind {
				if !g.cur.xKnown || g.cur.x != ld.xoff {
					g.emit(insn{op: clsLDX | szB | modeMSH, k: ld.xoff})
					g.cur.xKnown, g.cur.x = true, ld.xoff
				}
				g.emit(insn{op: clsLD | sizeCode[ld.size] | modeIND, k: ld.off})
			} else {
				g.emit(insn{op: clsLD | sizeCode[ld.size] | modeABS, k: ld.off})
			}
			if ld.mask != 0xffffffff {
				g.emit(insn{op: clsALU | aluAND | srcK, k: ld.mask})
			}
			g.cur.aKnown, g.cur.a = true, ld
		}
		g.jumpTo(t)
		g.jumpTo(f)
		g.emit(insn{op: clsJMP | c.t.jmp | srcK, k: c.t.k, jt: t, jf: f})
	}
}

// assemble compiles c to a program returning snaplen on accept and 0 on
// reject, with trampolines for conditional jumps longer than 255.
func assemble(c *cond, snaplen uint32) []bpf.RawInstruction {
	switch c.op {
	case cTrue:
		return []bpf.RawInstruction{{Op: opRetK, K: snaplen}}
	case cFalse:
		return []bpf.RawInstruction{{Op: opRetK, K: 0}}
	}
	g := &codegen{}
	accept, reject := g.newLabel(), g.newLabel()
	g.gen(c, accept, reject)
	g.place(accept)
	g.emit(insn{op: opRetK, k: snaplen})
	g.place(reject)
	g.emit(insn{op: opRetK, k: 0})
	items := g.items
	nlabels := len(g.in)
	for {
		pos, _ := positions(items, nlabels)
		// Give each conditional jump that is too long a trampoline right
		// after it (a conditional jump never falls through, so nothing
		// else reaches that place). Trampolines only lengthen jumps, so
		// distances measured before this pass's insertions are not too
		// long; the next pass catches what they made too long.
		var out []asmItem
		changed := false
		n := 0
		for _, it := range items {
			out = append(out, it)
			if it.isLabel {
				continue
			}
			op := it.in.op
			if op&0x07 == clsJMP && op&0xf0 != opJA {
				for _, br := range []*int{&out[len(out)-1].in.jt, &out[len(out)-1].in.jf} {
					if pos[*br]-n-1 > 255 {
						tramp := nlabels
						nlabels++
						out = append(out, asmItem{isLabel: true, label: tramp},
							asmItem{in: insn{op: clsJMP | opJA, jt: *br}})
						*br = tramp
						changed = true
					}
				}
			}
			n++
		}
		items = out
		if !changed {
			break
		}
	}
	pos, n := positions(items, nlabels)
	prog := make([]bpf.RawInstruction, 0, n)
	for _, it := range items {
		if it.isLabel {
			continue
		}
		in := it.in
		ri := bpf.RawInstruction{Op: in.op, K: in.k}
		i := len(prog)
		if in.op&0x07 == clsJMP {
			if in.op&0xf0 == opJA {
				ri.K = uint32(pos[in.jt] - i - 1)
			} else {
				ri.Jt = uint8(pos[in.jt] - i - 1)
				ri.Jf = uint8(pos[in.jf] - i - 1)
			}
		}
		prog = append(prog, ri)
	}
	return prog
}

// positions returns the instruction index each of the nlabels labels of
// items stands at, and the number of instructions.
func positions(items []asmItem, nlabels int) (pos []int, n int) {
	pos = make([]int, nlabels)
	for _, it := range items {
		if it.isLabel {
			pos[it.label] = n
		} else {
			n++
		}
	}
	return pos, n
}
