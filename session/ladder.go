package session

import (
	"sort"
	"unicode/utf8"
)

// The ladder diagram (Config.Ladder) draws a session's control lines,
// gaps and data connections. Recording goes through record, which does
// nothing when the ladder is off, so the analysis keeps no copy of the
// control lines then.

// record adds an event to the session's ladder, up to Config.MaxLadder.
func (s *sess) record(ev LadderEvent) {
	if !s.a.cfg.Ladder {
		return
	}
	if len(s.out.Ladder) >= s.a.cfg.MaxLadder {
		s.ladderCut++
		return
	}
	ev.Text = cutText(ev.Text, maxLadderText)
	s.out.Ladder = append(s.out.Ladder, ev)
}

// maxLadderText bounds the bytes of a ladder event's text kept in
// memory; the report cuts it to the width it draws.
const maxLadderText = 200

// cutText cuts s to at most n bytes and a rune boundary, with "…" after
// what it cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// recordLine adds a control line sent by from, with suffix after it; the
// text is made only when the ladder is on.
func (s *sess) recordLine(pkt int, t Time, from Role, line []byte, suffix string) {
	if s.a.cfg.Ladder {
		s.record(LadderEvent{Packet: pkt, Time: t, From: from, Kind: LadderControl, Text: string(line) + suffix})
	}
}

// recordCommand adds a command line; the text is made only when the
// ladder is on.
func (s *sess) recordCommand(pkt int, t Time, verb, arg string) {
	if s.a.cfg.Ladder {
		text := verb
		if arg != "" {
			text += " " + arg
		}
		s.record(LadderEvent{Packet: pkt, Time: t, From: RoleClient, Kind: LadderControl, Text: text})
	}
}

func sortLadder(ev []LadderEvent) {
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Time.Before(ev[j].Time.Time) })
}
