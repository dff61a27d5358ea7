package session

import (
	"net/netip"
	"time"
)

// expectation is an announced endpoint waiting for its data connection.
type expectation struct {
	dc       *dcState
	ep       netip.AddrPort // the announced endpoint
	nat      netip.AddrPort // the announced port at the control peer's address, when that differs
	deadline time.Time
	live     bool
}

// lookup finds the expectation for a connection from src towards dst:
// the announced endpoint first, then the announced port at the control
// peer's address. Among several (two captures of one session, two
// clients behind one NAT), the one seen in the packet's own capture wins,
// then the one whose session's control addresses are the connection's,
// then the newest.
func (a *Analyzer) lookup(source int, dst netip.AddrPort, src netip.Addr) (*expectation, string) {
	if !a.expectPorts.has(dst.Port()) {
		return nil, ""
	}
	if e := pick(a.expect[dst], source, src, dst.Addr()); e != nil {
		return e, "announced"
	}
	if e := pick(a.expectNAT[dst], source, src, dst.Addr()); e != nil {
		return e, "control-peer-port"
	}
	return nil, ""
}

func pick(list []*expectation, source int, src, dst netip.Addr) *expectation {
	var best *expectation
	bestScore := -1
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		if !e.live {
			continue
		}
		init, resp := e.controlAddrs()
		score := 0
		if e.dc.s.source == source {
			score += 4
		}
		if init == src {
			score++
		}
		if resp == dst {
			score++
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// controlAddrs are the control-connection addresses of the side that
// should open the data connection and of the side that should accept it.
func (e *expectation) controlAddrs() (initiator, responder netip.Addr) {
	s := e.dc.s
	if e.dc.out.Mode == ModeActive {
		return s.server.Addr(), s.client.Addr()
	}
	return s.client.Addr(), s.server.Addr()
}

// withdraw stops expecting a data channel's connection.
func (a *Analyzer) withdraw(dc *dcState) {
	e := dc.exp
	if e == nil {
		return
	}
	dc.exp = nil
	e.live = false
	a.dropExpect(a.expect, e.ep, e)
	if e.nat.IsValid() {
		a.dropExpect(a.expectNAT, e.nat, e)
	}
}

// pruneExpect drops the expectations that are no longer live.
func (a *Analyzer) pruneExpect(m map[netip.AddrPort][]*expectation) {
	for ep, list := range m {
		keep := list[:0]
		for _, e := range list {
			if e.live {
				keep = append(keep, e)
			}
		}
		a.setExpect(m, ep, keep)
	}
}

func (a *Analyzer) setExpect(m map[netip.AddrPort][]*expectation, ep netip.AddrPort, list []*expectation) {
	_, had := m[ep]
	switch {
	case len(list) == 0 && had:
		delete(m, ep)
		a.expectPorts.del(ep.Port())
	case len(list) == 0:
	case !had:
		a.expectPorts.add(ep.Port())
		fallthrough
	default:
		m[ep] = list
	}
}

func (a *Analyzer) dropExpect(m map[netip.AddrPort][]*expectation, ep netip.AddrPort, e *expectation) {
	list := m[ep]
	keep := list[:0]
	for _, o := range list {
		if o != e {
			keep = append(keep, o)
		}
	}
	a.setExpect(m, ep, keep)
}
