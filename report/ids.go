package report

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/ftpscope/ftpscope/session"
)

// This file holds what the Zeek and EVE writers share: stable ids for
// connections (Zeek's uid and fuid, Suricata's flow_id), and the
// preliminary (1xx) replies of each command.

// connHash is the seed of a connection's stable ids: SHA-256 of its
// Community ID and the Unix nanosecond of its first packet, so that a
// four-tuple used again gets other ids, and the same capture always
// gets the same ones.
func connHash(communityID, fallback string, start session.Time) [32]byte {
	key := communityID
	if key == "" {
		key = fallback
	}
	return sha256.Sum256([]byte(key + "|" + strconv.FormatInt(start.UnixNano(), 10)))
}

func sessionHash(s *session.Session) [32]byte {
	return connHash(s.CommunityID, s.Client.String()+"-"+s.Server.String(), s.Start)
}

func dataHash(o *session.Observed) [32]byte {
	return connHash(o.CommunityID, o.Initiator.String()+"-"+o.Responder.String(), o.SYNTime)
}

// zeekID writes a hash as Zeek writes its random ids: a letter ("C" for
// connections, "F" for files) and a base-62 number, here of the hash's
// first 96 bits.
func zeekID(prefix string, h [32]byte) string {
	return prefix + new(big.Int).SetBytes(h[:12]).Text(62)
}

// flowID is a Suricata flow_id from a hash: 51 bits, as Suricata keeps
// its own ids within what a JSON double holds exactly; never 0.
func flowID(h [32]byte) uint64 {
	id := binary.BigEndian.Uint64(h[:8]) & (1<<51 - 1)
	if id == 0 {
		id = 1
	}
	return id
}

// prelim is a preliminary (1xx) reply line, as the ladder recorded it.
type prelim struct {
	code   int
	text   string
	packet int
	time   session.Time
}

// moreLines is the suffix the ladder adds to the last line of a
// multi-line reply.
var moreLines = regexp.MustCompile(` \(\+[0-9]+ lines\)$`)

// prelims returns, for each exchange of s.Transcript, the preliminary
// replies (150, 125, ...) the server sent after its command and before
// its final reply. The transcript keeps final replies only; these come
// from s.Ladder, so they are there only when the session was analysed
// with Config.Ladder, and their text is the ladder's (control bytes and
// bytes above 0x7e written as '.').
func prelims(s *session.Session) [][]prelim {
	out := make([][]prelim, len(s.Transcript))
	if len(s.Ladder) == 0 {
		return out
	}
	for _, ev := range s.Ladder {
		if ev.From != session.RoleServer || ev.Kind != session.LadderControl || len(ev.Text) < 3 || ev.Text[0] != '1' {
			continue
		}
		code, err := strconv.Atoi(ev.Text[:3])
		if err != nil || code < 100 || code > 199 {
			continue
		}
		// The command it answers: the last one sent at or before it whose
		// final reply is not earlier.
		at := -1
		for i, ex := range s.Transcript {
			if ex.Command == "" || ex.Packet > ev.Packet {
				continue
			}
			if ex.ReplyPacket == 0 || ex.ReplyPacket >= ev.Packet {
				at = i
			}
		}
		if at < 0 {
			continue
		}
		text := moreLines.ReplaceAllString(ev.Text, "")
		text = strings.TrimPrefix(strings.TrimPrefix(text[3:], "-"), " ")
		out[at] = append(out[at], prelim{code: code, text: text, packet: ev.Packet, time: ev.Time})
	}
	return out
}

// lastLine returns the last line of a reply text whose lines are joined
// with "\n".
func lastLine(text string) string {
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		return text[i+1:]
	}
	return text
}
