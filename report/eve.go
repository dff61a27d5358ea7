package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ftpscope/ftpscope/session"
)

// EVEOptions say how EVE events are written.
type EVEOptions struct {
	// LineLimit is the control line length at which the analysis cut
	// lines (session.Config.MaxLineLen); 0 means its default, 8192. A
	// command or reply line that long is marked truncated.
	LineLimit int
}

// EVE writes sessions as Suricata EVE JSON lines, -o eve: an "ftp" event
// per command (and per reply that answers none, such as the banner), with
// Suricata's keys, and an "ftp_data" event per data connection seen, on
// that connection's own flow. Every event carries the Community ID of its
// flow and, under "ftpscope", the session's verdict and the findings,
// each finding on exactly one event (see docs/integrations.md). Sessions
// need their Transcript (session.Config.Transcript); preliminary 1xx
// replies come from the Ladder (session.Config.Ladder). Its methods are
// safe for concurrent use; each event is written with one Write call.
type EVE struct {
	mu    sync.Mutex
	w     io.Writer
	o     EVEOptions
	buf   bytes.Buffer
	enc   *json.Encoder
	limit int
}

// NewEVE returns an EVE writer on w.
func NewEVE(w io.Writer, o EVEOptions) *EVE {
	e := &EVE{w: w, o: o, limit: o.LineLimit}
	if e.limit <= 0 {
		e.limit = 8192
	}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// WriteEVE writes a whole report as -o eve does.
func WriteEVE(w io.Writer, r *session.Report, o EVEOptions) error {
	return NewEVE(w, o).End(r)
}

// End writes the sessions r holds (those not written already). Findings
// that belong to no session are not written: EVE has no place for them.
func (e *EVE) End(r *session.Report) error {
	if r == nil {
		return errNilReport
	}
	for _, s := range r.Sessions {
		if err := e.Session(s); err != nil {
			return err
		}
	}
	return nil
}

// Session writes the events of one session, in order of time. A nil
// session writes nothing.
func (e *EVE) Session(s *session.Session) error {
	if s == nil {
		return nil
	}
	evs := e.events(s)
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range evs {
		e.buf.Reset()
		if err := e.enc.Encode(&evs[i].eveEvent); err != nil {
			return fmt.Errorf("report: write eve: %w", err)
		}
		if _, err := e.w.Write(e.buf.Bytes()); err != nil {
			return fmt.Errorf("report: write eve: %w", err)
		}
	}
	return nil
}

// eveEvent is one EVE record, with Suricata's keys in Suricata's order.
type eveEvent struct {
	Timestamp   string      `json:"timestamp"`
	FlowID      uint64      `json:"flow_id"`
	PcapCnt     int         `json:"pcap_cnt,omitempty"`
	EventType   string      `json:"event_type"`
	SrcIP       string      `json:"src_ip"`
	SrcPort     uint16      `json:"src_port"`
	DestIP      string      `json:"dest_ip"`
	DestPort    uint16      `json:"dest_port"`
	Proto       string      `json:"proto"`
	CommunityID string      `json:"community_id,omitempty"`
	TxID        *int        `json:"tx_id,omitempty"`
	FTP         *eveFTP     `json:"ftp,omitempty"`
	FTPData     *eveFTPData `json:"ftp_data,omitempty"`
	FTPScope    *eveScope   `json:"ftpscope"`
}

// eveFTP is the "ftp" object of an ftp event (Suricata's
// EveFTPLogCommand).
type eveFTP struct {
	Command          string   `json:"command,omitempty"`
	CommandData      *string  `json:"command_data,omitempty"`
	CommandTruncated *bool    `json:"command_truncated,omitempty"`
	Reply            []string `json:"reply,omitempty"`
	CompletionCode   []string `json:"completion_code,omitempty"`
	DynamicPort      uint16   `json:"dynamic_port,omitempty"`
	Mode             string   `json:"mode,omitempty"`
	ReplyReceived    string   `json:"reply_received"` // "yes" or "no", as Suricata writes it
	ReplyTruncated   bool     `json:"reply_truncated"`
}

// eveFTPData is the "ftp_data" object: the command the data connection
// served and its file name.
type eveFTPData struct {
	Filename string `json:"filename,omitempty"`
	Command  string `json:"command,omitempty"`
}

// eveScope is ftpscope's own key: which session and data channel the
// event belongs to, the session's verdict, and the findings placed on
// this event.
type eveScope struct {
	Session     int               `json:"session"`
	Source      string            `json:"source"`
	Verdict     session.Verdict   `json:"verdict"`
	DataChannel int               `json:"data_channel,omitempty"`
	State       session.ConnState `json:"state,omitempty"`     // ftp_data: what became of the handshake
	Announced   string            `json:"announced,omitempty"` // ftp_data: the endpoint the setup announced
	Findings    []session.Finding `json:"findings"`
}

// eveTimed is an event with the time it sorts by.
type eveTimed struct {
	eveEvent
	t time.Time
}

// events makes the events of s: the ftp events of its transcript and the
// ftp_data events of its data connections, in order of time, with each
// finding placed on one of them.
func (e *EVE) events(s *session.Session) []eveTimed {
	verdict := s.Verdict
	if verdict == "" {
		verdict = session.VerdictOf(s.Worst())
	}
	fid := flowID(sessionHash(s))
	scope := func(dc int) *eveScope {
		return &eveScope{Session: s.ID, Source: s.Source, Verdict: verdict, DataChannel: dc, Findings: []session.Finding{}}
	}
	control := func(t session.Time, pkt int) eveTimed {
		return eveTimed{t: t.Time, eveEvent: eveEvent{
			Timestamp: eveTime(t.Time), FlowID: fid, PcapCnt: pkt, EventType: "ftp",
			SrcIP: s.Client.Addr().String(), SrcPort: s.Client.Port(), DestIP: s.Server.Addr().String(), DestPort: s.Server.Port(),
			Proto: "TCP", CommunityID: s.CommunityID,
		}}
	}
	pre := prelims(s)
	var evs []eveTimed
	txEvent := make([]int, len(s.Transcript)) // index in evs of each exchange's event
	for i, ex := range s.Transcript {
		t, pkt := ex.Time, ex.Packet
		if ex.Reply != 0 {
			t, pkt = ex.ReplyTime, ex.ReplyPacket
		}
		ev := control(t, pkt)
		tx := i
		ev.TxID = &tx
		f := &eveFTP{ReplyReceived: "no"}
		if ex.Command != "" {
			f.Command = ex.Command
			if ex.Arg != "" {
				data := eveString(ex.Arg)
				cut := len(ex.Command)+1+len(ex.Arg) >= e.limit
				f.CommandData, f.CommandTruncated = &data, &cut
			}
		}
		for _, p := range pre[i] {
			f.Reply = append(f.Reply, eveString(p.text))
			f.CompletionCode = append(f.CompletionCode, fmt.Sprintf("%03d", p.code))
			f.ReplyTruncated = f.ReplyTruncated || 4+len(p.text) >= e.limit
		}
		if ex.Reply != 0 {
			f.ReplyReceived = "yes"
			lines := strings.Split(ex.ReplyText, "\n")
			for j, l := range lines {
				f.Reply = append(f.Reply, eveString(l))
				// The first and last lines carry the code; the middle
				// lines are kept without it.
				if j == 0 || j == len(lines)-1 {
					f.CompletionCode = append(f.CompletionCode, fmt.Sprintf("%03d", ex.Reply))
				}
				f.ReplyTruncated = f.ReplyTruncated || 4+len(l) >= e.limit
			}
		}
		if dc := channel(s, ex.DataChannel); dc != nil && dc.SetupCommand == ex.Command {
			f.Mode = string(dc.Mode)
			if dc.Announced != nil {
				f.DynamicPort = dc.Announced.Port()
			}
		}
		ev.FTP = f
		ev.FTPScope = scope(ex.DataChannel)
		txEvent[i] = len(evs)
		evs = append(evs, ev)
	}
	// ftp_data: one per data connection seen, on its own flow.
	dataEvent := map[int]int{}
	for _, dc := range s.DataChannels {
		if dc == nil || dc.Observed == nil {
			continue
		}
		o := dc.Observed
		ev := eveTimed{t: o.SYNTime.Time, eveEvent: eveEvent{
			Timestamp: eveTime(o.SYNTime.Time), FlowID: flowID(dataHash(o)), PcapCnt: o.SYNPacket, EventType: "ftp_data",
			SrcIP: o.Initiator.Addr().String(), SrcPort: o.Initiator.Port(), DestIP: o.Responder.Addr().String(), DestPort: o.Responder.Port(),
			Proto: "TCP", CommunityID: o.CommunityID,
		}}
		d := &eveFTPData{}
		if dc.TransferCommand != nil {
			d.Command = *dc.TransferCommand
			switch d.Command {
			case "RETR", "STOR", "APPE", "STOU":
				if dc.Argument != nil && *dc.Argument != "" {
					d.Filename = eveString(*dc.Argument)
				} else if d.Command == "STOU" {
					d.Filename = "<stou>" // Suricata's name for a STOU without one
				}
			}
		}
		ev.FTPData = d
		ev.FTPScope = scope(dc.ID)
		ev.FTPScope.State = o.State
		if dc.Announced != nil {
			ev.FTPScope.Announced = dc.Announced.String()
		}
		dataEvent[dc.ID] = len(evs)
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		// No command, reply or data connection (a control connection
		// never established): one ftp event so that the verdict and the
		// findings reach the EVE stream.
		ev := control(s.Start, 0)
		ev.FTP = &eveFTP{ReplyReceived: "no"}
		ev.FTPScope = scope(0)
		evs = append(evs, ev)
	}
	// Findings: a data channel's on its connection's ftp_data event, else
	// on the event of its setup command; the session's on the event of
	// the command or reply that is its first evidence, else the first.
	place := func(at int, f session.Finding) {
		evs[at].FTPScope.Findings = append(evs[at].FTPScope.Findings, f)
	}
	for _, dc := range s.DataChannels {
		if dc == nil || len(dc.Findings) == 0 {
			continue
		}
		at, ok := dataEvent[dc.ID]
		if !ok {
			at = len(evs) - 1
			for i, ex := range s.Transcript {
				if ex.DataChannel == dc.ID {
					at = txEvent[i]
					break
				}
			}
		}
		for _, f := range dc.Findings {
			place(at, f)
		}
	}
	for _, f := range s.Findings {
		at := 0
		if len(f.Evidence) > 0 {
			p := f.Evidence[0].Packet
			for i, ex := range s.Transcript {
				if p != 0 && (ex.Packet == p || ex.ReplyPacket == p) {
					at = txEvent[i]
					break
				}
			}
		}
		place(at, f)
	}
	for i := range evs {
		for j := range evs[i].FTPScope.Findings {
			if evs[i].FTPScope.Findings[j].Evidence == nil {
				evs[i].FTPScope.Findings[j].Evidence = []session.Evidence{}
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b eveTimed) int { return a.t.Compare(b.t) })
	return evs
}

// eveTime formats a time as Suricata does, in UTC.
func eveTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-0700")
}

// eveString makes a string from capture bytes as Suricata's JSON builder
// does (string_from_bytes): valid UTF-8 stays; otherwise every byte above
// 0x7f is written as the four characters \xhh. Control characters are
// then escaped by the JSON encoder.
func eveString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			b = appendHexEscape(b, c)
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
