package session

import (
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// idleSession is a session whose data connection ran from 1 s to 481 s
// and whose control connection was silent from 0.5 s to to (0: up to the
// end at until).
func idleSession(to, until time.Duration) *Session {
	o := obs("10.0.0.1:51002", "10.0.0.2:40030", StateEstablished)
	o.SYNPacket, o.SYNTime = 16, Time{t0.Add(time.Second)}
	o.LastPacket, o.LastTime, o.Closed = 56, Time{t0.Add(481 * time.Second)}, true
	s := fixture(ModePassive, "10.0.0.2:40030", o, 227, 0)
	g := IdleGap{From: Evidence{Packet: 21, Time: Time{t0.Add(500 * time.Millisecond)}, What: "the last packet"}}
	if to > 0 {
		g.To = Evidence{Packet: 57, Time: Time{t0.Add(to)}}
	}
	s.Idle = []IdleGap{g}
	s.Until = Time{t0.Add(until)}
	return s
}

func TestIdleTimeout(t *testing.T) {
	sent := func(s *Session, d int, what string, retrans int, acked bool, last time.Duration) {
		g := &s.Idle[0]
		g.Sent[d] = IdleSent{First: g.To, Last: Evidence{Packet: 60, Time: Time{t0.Add(last)}}, What: what,
			Sends: retrans + 1, Retransmissions: retrans, Acked: acked}
	}
	tests := []struct {
		name string
		s    *Session
		edit func(s *Session)
		want string // a part of the summary; "" for no finding
	}{
		{"the 226 retransmitted, never acknowledged", idleSession(481*time.Second, 520*time.Second),
			func(s *Session) { sent(s, toClient, "226 Transfer complete.", 6, false, 494*time.Second) },
			`sat idle for 8 min 1 s while RETR ran, then the server's "226 Transfer complete." went unacknowledged (sent 7 times)`},
		{"the 226 acknowledged", idleSession(481*time.Second, 520*time.Second),
			func(s *Session) { sent(s, toClient, "226 Transfer complete.", 0, true, 481*time.Second) }, ""},
		{"the 226 sent once, the capture ends at once", idleSession(481*time.Second, 482*time.Second),
			func(s *Session) { sent(s, toClient, "226 Transfer complete.", 0, false, 481*time.Second) }, ""},
		{"reset after the 226", idleSession(481*time.Second, 482*time.Second),
			func(s *Session) {
				sent(s, toClient, "226 Transfer complete.", 0, false, 481*time.Second)
				s.Idle[0].RST, s.Idle[0].RSTFrom = &Evidence{Packet: 58, Time: Time{t0.Add(481 * time.Second)}}, RoleClient
			}, "was then reset by 10.0.0.1's side (packet 58)"},
		{"the client's QUIT unanswered", idleSession(540*time.Second, 560*time.Second),
			func(s *Session) { sent(s, toServer, "QUIT", 3, false, 550*time.Second) }, `then the client's "QUIT" went unanswered (sent 4 times)`},
		{"the client's FIN unanswered", idleSession(540*time.Second, 560*time.Second),
			func(s *Session) {
				sent(s, toServer, "", 4, false, 550*time.Second)
				s.Idle[0].Sent[toServer].FIN = true
			}, `then the client's FIN went unanswered (sent 5 times)`},
		{"nothing after the transfer, up to the end", idleSession(0, 540*time.Second), func(*Session) {}, "and no reply came on it after the transfer"},
		{"the capture ends with the transfer", idleSession(0, 483*time.Second), func(*Session) {}, ""},
		{"a silence outside the transfer", idleSession(0, 540*time.Second), func(s *Session) {
			s.Idle[0].From.Time = Time{t0.Add(478 * time.Second)} // 3 s of the transfer
		}, ""},
		{"no data connection", idleSession(0, 540*time.Second), func(s *Session) { s.DataChannels[0].Observed = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit(tt.s)
			f, ok := idleTimeout(tt.s)
			if ok != (tt.want != "") {
				t.Fatalf("finding %v (%q), want %v", ok, f.Summary, tt.want != "")
			}
			if !ok {
				return
			}
			if f.Code != CodeIdleTimeout || f.Severity != SeverityError || !strings.Contains(f.Summary, tt.want) {
				t.Errorf("finding %s %s %q; want a summary with %q", f.Code, f.Severity, f.Summary, tt.want)
			}
			if !strings.Contains(f.Detail, "nf_conntrack_tcp_timeout_established") || len(f.Evidence) < 3 {
				t.Errorf("detail %q, evidence %v", f.Detail, f.Evidence)
			}
		})
	}
}

func TestIdleWatch(t *testing.T) {
	var w idleWatch
	seg := watchSeg(&w)
	seg(toServer, 0, 100, 500, "A", "RETR x\r\n")
	seg(toClient, 0.1, 500, 108, "A", "150 Here.\r\n")
	seg(toServer, 0.2, 108, 511, "A", "")
	if got := w.silences(t0.Add(3*time.Second), true); len(got) != 0 {
		t.Errorf("silences after 3 s: %+v", got)
	}
	if got := w.silences(t0.Add(90*time.Second), true); len(got) != 1 || got[0].From.Packet != 2 || got[0].To.Packet != 0 {
		t.Errorf("silence up to the end: %+v", got)
	}
	if got := w.silences(t0.Add(90*time.Second), false); len(got) != 0 {
		t.Errorf("a closed connection has no silence up to the end: %+v", got)
	}
	// Ten minutes later the 226, retransmitted, never acknowledged.
	seg(toClient, 600, 511, 108, "A", "226 Transfer complete.\r\n")
	seg(toClient, 600.2, 511, 108, "A", "226 Transfer complete.\r\n")
	seg(toClient, 600.6, 511, 108, "A", "226 Transfer complete.\r\n")
	got := w.silences(t0.Add(601*time.Second), true)
	if len(got) != 1 {
		t.Fatalf("silences %+v", got)
	}
	g := got[0]
	srv := g.Sent[toClient]
	if g.From.Packet != 2 || g.To.Packet != 6000 || srv.Sends != 3 || srv.Retransmissions != 2 || srv.Acked || srv.What != "226 Transfer complete." {
		t.Errorf("silence %+v", g)
	}
	// The client acknowledges it at last, then resets.
	seg(toServer, 601, 108, 535, "A", "")
	seg(toServer, 602, 108, 535, "R", "")
	g = w.silences(t0.Add(602*time.Second), true)[0]
	if !g.Sent[toClient].Acked || g.RST == nil || g.RSTFrom != RoleClient {
		t.Errorf("after the ACK and the RST: %+v", g)
	}
}

// TestIdleWatchFIN: a FIN after the silence counts as a segment sent,
// acknowledged as a byte is; an ACK of the bytes before it does not
// acknowledge it.
func TestIdleWatchFIN(t *testing.T) {
	var w idleWatch
	seg := watchSeg(&w)
	seg(toServer, 0, 100, 500, "A", "RETR x\r\n")
	seg(toClient, 0.1, 500, 108, "A", "150 Here.\r\n")
	seg(toServer, 0.2, 108, 511, "A", "")
	seg(toServer, 20, 108, 511, "AF", "")
	seg(toServer, 20.2, 108, 511, "AF", "")
	seg(toClient, 20.3, 511, 108, "A", "") // acknowledges up to the FIN, not the FIN
	g := w.silences(t0.Add(21*time.Second), false)[0]
	c := g.Sent[toServer]
	if !c.FIN || c.Sends != 2 || c.Retransmissions != 1 || c.Acked || c.name() != "FIN" {
		t.Errorf("the client's FIN: %+v", c)
	}
	seg(toClient, 20.4, 511, 109, "A", "")
	if c := w.silences(t0.Add(21*time.Second), false)[0].Sent[toServer]; !c.Acked {
		t.Errorf("the client's FIN, acknowledged: %+v", c)
	}
}

// TestIdleWatchBackoff: retransmissions of an unacknowledged reply whose
// gaps grow past minIdle belong to the silence before the reply, not to
// silences of their own.
func TestIdleWatchBackoff(t *testing.T) {
	var w idleWatch
	seg := func(d int, sec float64, seq, ack uint32, payload string) {
		watchSeg(&w)(d, sec, seq, ack, "A", payload)
	}
	seg(toServer, 0, 100, 500, "RETR x\r\n")
	seg(toClient, 0.1, 500, 108, "150 Here.\r\n")
	seg(toServer, 0.2, 108, 511, "")
	at := 480.0
	for gap := 0.2; at < 600; gap *= 2 {
		seg(toClient, at, 511, 108, "226 Transfer complete.\r\n")
		at += gap
	}
	g := w.silences(t0.Add(610*time.Second), true)
	if len(g) == 0 || g[0].From.Packet != 2 || g[0].To.Packet != 4800 || g[0].Sent[toClient].Retransmissions == 0 {
		t.Errorf("silences %+v, want the one from packet 2 to 4800, the reply retransmitted", g)
	}
}

// watchSeg returns a function that hands w a segment in direction d at
// sec seconds, numbered sec×10, with flags among A(CK), R(ST), F(IN).
func watchSeg(w *idleWatch) func(d int, sec float64, seq, ack uint32, flags, payload string) {
	return func(d int, sec float64, seq, ack uint32, flags, payload string) {
		tcp := &layers.TCP{Seq: seq, Ack: ack, ACK: strings.Contains(flags, "A"), RST: strings.Contains(flags, "R"), FIN: strings.Contains(flags, "F")}
		r := &pktRef{number: int(sec * 10), ts: t0.Add(time.Duration(sec * float64(time.Second)))}
		w.packet(d, tcp, []byte(payload), len(payload), r)
	}
}
