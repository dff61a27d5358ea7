package session

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// The types in this file are the JSON contract of ../shared/CONTRACT.md:
// field names, nullability and enum values change only on purpose.

// Mode says who opens a data connection.
type Mode string

// Mode values. ModeMixed and ModeNone describe a session only.
const (
	ModeActive  Mode = "active"  // the server connects to the client (PORT, EPRT, LPRT)
	ModePassive Mode = "passive" // the client connects to the server (PASV, EPSV, LPSV)
	ModeMixed   Mode = "mixed"   // a session that used both
	ModeNone    Mode = "none"    // a session that set up no data channel
)

// Role names a side of an FTP session.
type Role string

// Role values.
const (
	RoleClient Role = "client"
	RoleServer Role = "server"
)

// ConnState is what became of a data connection's TCP handshake.
type ConnState string

// ConnState values.
const (
	StateEstablished ConnState = "established" // the responder's SYN-ACK was seen (or payload both ways)
	StateUnanswered  ConnState = "unanswered"  // only SYNs were seen
	StateRefused     ConnState = "refused"     // the responder answered the SYN with RST
	StateUnreachable ConnState = "unreachable" // an ICMP error answered the SYN
	StateReset       ConnState = "reset"       // established, then reset
)

// Verdict is the one-word judgement of a session.
type Verdict string

// Verdict values: the worst severity among the findings of a session and
// of its data channels.
const (
	VerdictOK      Verdict = "ok"      // no warning or error: the session worked as far as the capture shows
	VerdictWarning Verdict = "warning" // the worst finding is a warning
	VerdictFailed  Verdict = "failed"  // at least one finding is an error
)

// VerdictOf maps the worst severity of a session's findings to its
// verdict.
func VerdictOf(worst Severity) Verdict {
	switch worst {
	case SeverityError:
		return VerdictFailed
	case SeverityWarning:
		return VerdictWarning
	}
	return VerdictOK
}

// DetectedBy says how a session was recognised as FTP.
type DetectedBy string

// DetectedBy values.
const (
	DetectedByPort    DetectedBy = "port"    // its server port is one of Config.ControlPorts
	DetectedByContent DetectedBy = "content" // FTP recognised by its content on another port
)

// Severity ranks findings.
type Severity string

// Severity values, from least to most severe.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Rank orders severities: info 1, warning 2, error 3, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityError:
		return 3
	}
	return 0
}

// Code is a finding code of CONTRACT.md: a stable identifier.
type Code string

// Finding codes of CONTRACT.md.
const (
	CodeActiveBlocked    Code = "active-blocked"
	CodePassiveBlocked   Code = "passive-blocked"
	CodeDataMissing      Code = "data-connection-missing"
	CodePassivePrivate   Code = "passive-private-address"
	CodeActivePrivate    Code = "active-private-address"
	CodeAddressRewritten Code = "address-rewritten"
	CodeBounce           Code = "ftp-bounce"
	CodeControlEncrypted Code = "control-encrypted"
	CodeDataUnannounced  Code = "data-connection-unannounced"
	CodeTransferFailed   Code = "transfer-failed"
	CodeControlGap       Code = "control-gap"
	CodeControlBlocked   Code = "control-blocked"
	CodeLoginFailed      Code = "login-failed"
	CodeLoginBruteForce  Code = "login-brute-force"
	CodeTransferRejected Code = "transfer-rejected"
	CodeDataPathUnseen   Code = "data-path-unseen"
	CodeNonstandardPort  Code = "nonstandard-control-port"
	CodeIdleTimeout      Code = "control-idle-timeout"
	CodeFXP              Code = "fxp-transfer"
	CodeHelperWouldMiss  Code = "helper-would-miss"
	CodePassivePortRange Code = "passive-port-range"
	// CodeSetupObserved: per session, the passive ports a server
	// announced and the source ports of its active-mode connections.
	CodeSetupObserved Code = "setup-observed"
)

// Worst is the highest severity among the findings of the session and
// of its data channels; "" when it has none.
func (s *Session) Worst() Severity {
	w := worst("", s.Findings)
	for _, dc := range s.DataChannels {
		if dc != nil {
			w = worst(w, dc.Findings)
		}
	}
	return w
}

// Worst is the highest severity among every finding of the report: its
// sessions', their data channels' and the global ones; "" when none.
func (r *Report) Worst() Severity {
	w := worst("", r.Findings)
	for _, s := range r.Sessions {
		if s == nil {
			continue
		}
		if sw := s.Worst(); sw.Rank() > w.Rank() {
			w = sw
		}
	}
	return w
}

func worst(w Severity, fs []Finding) Severity {
	for _, f := range fs {
		if f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}

// Time is a timestamp that marshals as RFC 3339 with nanoseconds in UTC,
// and as null when zero.
type Time struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 32)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler: RFC 3339, or null for zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	return t.Time.UnmarshalJSON(b)
}

// Report is the whole analysis: the document -o json prints.
type Report struct {
	Version  int        `json:"version"`  // always 1
	Sources  []Source   `json:"sources"`  // one per input, in the order given
	Sessions []*Session `json:"sessions"` // in order of first packet
	Findings []Finding  `json:"findings"` // findings that belong to no single session
	Stats    Stats      `json:"stats"`

	// jumps, where time ran backwards, is what a shared analysis needs
	// to merge the reports' sources.
	jumps []timeJump
}

// Source describes one input.
type Source struct {
	Name      string   `json:"name"`       // file name as given, "-" for stdin, or interface
	LinkTypes []string `json:"link_types"` // link types seen, in order of first appearance
	Packets   int      `json:"packets"`    // frames read
	Bytes     int64    `json:"bytes"`      // captured bytes read
	FirstSeen Time     `json:"first_seen"` // null when no frame was read
	LastSeen  Time     `json:"last_seen"`  // null when no frame was read
	Errors    []string `json:"errors"`     // damage and decode problems, never null
	Dropped   *int64   `json:"dropped"`    // kernel drops, live capture; null for files
}

// Session is one FTP control connection and what it set up.
type Session struct {
	ID           int            `json:"id"`            // 1-based, in order of first packet
	Source       string         `json:"source"`        // name of the input its first packet came from
	Client       netip.AddrPort `json:"client"`        // host:port of the FTP client
	Server       netip.AddrPort `json:"server"`        // host:port of the FTP server (the control port)
	CommunityID  string         `json:"community_id"`  // Community ID v1 of the control connection
	Start        Time           `json:"start"`         // first packet of the control connection
	End          Time           `json:"end"`           // last packet of the control connection or its data connections
	User         *string        `json:"user"`          // argument of the last USER command; null when none was seen
	TLS          bool           `json:"tls"`           // AUTH TLS/SSL was accepted
	Verdict      Verdict        `json:"verdict"`       // ok, warning or failed: see VerdictOf
	LoggedIn     *bool          `json:"logged_in"`     // a login was accepted (230/232); false when every one was rejected; null when none is in the capture
	FailedLogins int            `json:"failed_logins"` // USER, PASS and ACCT commands answered with 4xx/5xx
	DetectedBy   DetectedBy     `json:"detected_by"`   // port or content
	Mode         Mode           `json:"mode"`          // active, passive, mixed or none
	Commands     int            `json:"commands"`      // command lines seen from the client
	ControlGaps  int64          `json:"control_gaps"`  // bytes missing from the control stream
	DataChannels []*DataChannel `json:"data_channels"`
	Findings     []Finding      `json:"findings"` // findings about the session as a whole

	// LongLines counts control lines cut at the line limit; Unparsed
	// counts lines that were neither a command nor a reply. Not part of
	// the contract.
	LongLines int `json:"-"`
	Unparsed  int `json:"-"`

	// Ladder holds the control-channel events the ladder diagram draws,
	// their text as it was sent (the report escapes it), and LadderCut
	// the events past Config.MaxLadder, not kept. Not part of the JSON
	// contract.
	Ladder    []LadderEvent `json:"-"`
	LadderCut int           `json:"-"`
	// Evidence the findings are drawn from, not part of the contract:
	// where control bytes went missing, the reply that turned TLS on, and
	// the connections between the session's hosts that no announcement
	// explains.
	Gaps        []Evidence `json:"-"`
	TLSEvidence Evidence   `json:"-"`
	Unannounced []Observed `json:"-"`
	// Control is what the capture shows of the control connection's own
	// handshake, and Until the capture time at which the session was
	// finished (the end of the input, or when it went idle). Not part of
	// the contract.
	Control ControlHandshake `json:"-"`
	// Greeting is the server's first 220 reply, and Banner its text (at
	// most 200 bytes). Not part of the contract.
	Greeting Evidence `json:"-"`
	Banner   string   `json:"-"`
	Until    Time     `json:"-"`
	// Unanswered counts the commands whose reply is not in the capture
	// and Unpaired the final replies that answer no command in it (both
	// after control bytes went missing). Not part of the contract.
	Unanswered, Unpaired int `json:"-"`
	// LoginFailures holds the USER, PASS and ACCT commands the server
	// rejected, and Refused the transfer commands refused with no data
	// channel set up before them (at most 16 each). Not part of the
	// contract.
	LoginFailures []Exchange `json:"-"`
	Refused       []Exchange `json:"-"`
	// UnpairedFailures holds replies that fail a transfer (425, 426,
	// 451) whose command is not in the capture. Not part of the contract.
	UnpairedFailures []Exchange `json:"-"`
	// Idle holds the control connection's last silence of a minute or
	// more that a packet ended, with what crossed it afterwards, and the
	// silence up to the end when it was still open then
	// (control-idle-timeout). Not part of the contract.
	Idle []IdleGap `json:"-"`
	// ordinal is the position in the input of the packet that began the
	// session, and endAt when it ended (Analyzer.endAt): a shared analysis
	// numbers and orders sessions by them (Merge).
	ordinal, endAt int
	// Transcript holds every command with the reply that answered it,
	// in order, when Config.Transcript is set. Not part of the contract.
	Transcript []Exchange `json:"-"`
}

// Exchange is one command and the final reply the session paired with
// it, or a final reply that answers no command seen.
type Exchange struct {
	Command string // the verb in upper case; "" for a reply that answers no command seen
	Arg     string // the argument; a PASS argument is "***" unless Config.ShowPasswords
	Packet  int    // frame of the command; 0 for none
	Time    Time
	// Reply is the final reply code; 0 when none was seen. ReplyText is
	// its text, lines joined with "\n".
	Reply       int
	ReplyText   string
	ReplyPacket int
	ReplyTime   Time
	// DataChannel is the id of the data channel the command set up or
	// transferred over; 0 for none.
	DataChannel int
}

// DataChannel is one announced data connection: the setup command, the
// endpoint it announced, the connection seen and the transfer it served.
type DataChannel struct {
	ID                int             `json:"id"`            // 1-based within the session
	SetupCommand      string          `json:"setup_command"` // PORT, EPRT, LPRT, PASV, EPSV or LPSV
	SetupPacket       int             `json:"setup_packet"`  // frame number of the setup command
	SetupTime         Time            `json:"setup_time"`
	SetupReply        *int            `json:"setup_reply"` // reply code that answered the setup command; null when none was seen
	Mode              Mode            `json:"mode"`        // active or passive
	Announced         *netip.AddrPort `json:"announced"`   // host:port the data connection should reach; null when no usable announcement
	ExpectedInitiator Role            `json:"expected_initiator"`
	Observed          *Observed       `json:"observed"`         // null when no matching data connection was seen
	TransferCommand   *string         `json:"transfer_command"` // RETR, STOR, STOU, APPE, LIST, NLST, MLSD; null when none
	Argument          *string         `json:"argument"`         // the transfer command's argument; null when none
	TransferReply     *int            `json:"transfer_reply"`   // final reply code of the transfer; null when none was seen
	Helper            *Helper         `json:"helper"`           // what a firewall FTP helper would make of the announcement; null when not judged
	Findings          []Finding       `json:"findings"`

	// Match says how Observed was matched: "announced" (the announced
	// endpoint itself) or "control-peer-port" (the announced port at the
	// control peer's address, as behind NAT). Not part of the contract.
	Match string `json:"-"`
	// AnnouncePacket is the frame that announced the endpoint: the setup
	// command for active mode, its reply for passive mode. Zero when none.
	// SetupReplyPacket is the frame of the setup command's reply.
	// Not part of the contract.
	AnnouncePacket   int  `json:"-"`
	AnnounceTime     Time `json:"-"`
	SetupReplyPacket int  `json:"-"`
	SetupReplyTime   Time `json:"-"`
	// TransferPacket is the frame of the transfer command; ReplyPacket that
	// of its final reply. Zero when unseen. Not part of the contract.
	TransferPacket int    `json:"-"`
	TransferTime   Time   `json:"-"`
	ReplyPacket    int    `json:"-"`
	ReplyTime      Time   `json:"-"`
	ReplyText      string `json:"-"`
	// HelperSeen is what the model of nf_conntrack_ftp (conntrack_ftp.go)
	// made of the segment that carried the announcement, and
	// HelperReplaced the segment whose announcement replaced this one's
	// expectation before its data connection came; nil when unknown or
	// none. Not part of the contract.
	HelperSeen     *HelperView `json:"-"`
	HelperReplaced *Evidence   `json:"-"`
	// FXP links the two halves of a server-to-server transfer: a PORT or
	// EPRT naming the endpoint another server announced, in a parallel
	// session of the same client address, to that server's PASV or
	// EPSV. Nil when the channel is no such half. Not part of the
	// contract.
	FXP *FXPLink `json:"-"`
}

// FXPLink is the other half of a server-to-server (FXP) transfer.
type FXPLink struct {
	Session int            // the other session's id
	Channel int            // the other data channel's id
	Server  netip.AddrPort // the other session's server
	// Announce is the other half's announcement: the 227 (or 229) for a
	// PORT, the PORT (or EPRT) for a passive channel.
	Announce Evidence

	// ordinal is the other session's (Session.ordinal), and what the
	// announcement's text after its number: a shared analysis names the
	// other session once it is numbered (Merger).
	ordinal int
	what    string
}

// name sets the other session's number, and the announcement's text
// that says it.
func (l *FXPLink) name(id int) {
	l.Session = id
	l.Announce.What = fmt.Sprintf("session %d: %s", id, l.what)
}

// ControlHandshake is what a capture shows of the TCP handshake of a
// control connection, for control-blocked.
type ControlHandshake struct {
	SYNs     []Evidence // the client's SYNs, at most 8 (packet and time; the findings that cite them say what they are)
	Attempts int        // the client's SYNs, all of them
	// Answered says the server answered: a SYN-ACK (SYNACK), or any
	// segment but an RST when the capture starts after the handshake.
	Answered bool
	SYNACK   *Evidence // packet and time
	RST      *Evidence // the server's RST, when it refused before answering
	// ICMP is an ICMP error that answered a SYN; ICMPFrom sent it and
	// ICMPWhat says what it is ("port unreachable").
	ICMP     *Evidence
	ICMPFrom netip.Addr
	ICMPWhat string
	Payload  bool // bytes were sent either way
}

// Helper is what a firewall's FTP helper on the path (Linux
// nf_conntrack_ftp, and ALGs that parse alike) would make of an
// announcement.
type Helper struct {
	WouldExpect bool    `json:"would_expect"` // it would have opened the data connection for it
	Reason      *string `json:"reason"`       // why not, in one sentence; null when WouldExpect
}

// IdleGap is a silence of the control connection: From is its last
// packet before, To the packet that ended it (Packet 0: none did). The
// rest says what crossed the connection after it.
type IdleGap struct {
	From, To Evidence
	// Sent is what each direction sent after it (toServer: the client,
	// toClient: the server).
	Sent [2]IdleSent
	// RST is the first RST after it, and RSTFrom the side it came from.
	RST     *Evidence
	RSTFrom Role
}

// IdleSent is what one side sent on a control connection after a
// silence.
type IdleSent struct {
	First, Last     Evidence // the first and the last segment with payload or FIN
	What            string   // the start of the first one's first line
	FIN             bool     // the first one was a FIN without payload
	Sends           int      // segments with payload or FIN
	Retransmissions int      // of them, segments that repeated bytes sent before
	Acked           bool     // the other side acknowledged all of it
}

// name names the first segment sent: its first words, quoted, or FIN.
func (s IdleSent) name() string {
	if s.FIN {
		return "FIN"
	}
	return strconv.Quote(s.What)
}

// HelperOutcome is what the model of nf_conntrack_ftp made of the
// segment that carried an announcement.
type HelperOutcome string

// HelperOutcome values.
const (
	HelperExpected   HelperOutcome = "expected"    // it made an expectation
	HelperAddress    HelperOutcome = "address"     // it read an address other than the sender's, and made none (loose=0)
	HelperSplit      HelperOutcome = "split"       // the line goes on in the next segment: a partial match, the packet dropped
	HelperForm       HelperOutcome = "form"        // the line is whole in the segment, in a form its parser refuses: dropped
	HelperMidSegment HelperOutcome = "mid-segment" // the line does not start its segment, where the helper looks
	HelperMultiLine  HelperOutcome = "multi-line"  // a multi-line reply: its segment starts with "227-"
	HelperUnread     HelperOutcome = "unread"      // the segment is not searched: the one before it did not end a line
	HelperFirst      HelperOutcome = "first"       // the segment is not searched: the first of its direction
	HelperNoMatch    HelperOutcome = "no-match"    // the segment starts with the line, but not with the helper's pattern
)

// HelperView is what the model of nf_conntrack_ftp saw of the segment
// that carried an announcement. Not part of the contract.
type HelperView struct {
	Outcome HelperOutcome
	// Packet is the segment holding the line's first byte, the one the
	// helper searches; EndPacket the one holding its end, when another.
	Packet    int
	Time      Time
	EndPacket int
	EndTime   Time
	// Offset is how far into its segment the line starts (mid-segment).
	Offset int
	// Read is the expectation's endpoint (expected) or what the helper
	// read (address).
	Read netip.AddrPort
	// Line is the announcing line as captured, quoted as Go does and cut
	// at 120 bytes, when the helper refused its form (form, no-match).
	Line string
}

// Observed is the data connection that matched an announcement.
type Observed struct {
	Initiator      netip.AddrPort `json:"initiator"`    // host:port that sent the first SYN
	Responder      netip.AddrPort `json:"responder"`    // host:port the SYN went to
	CommunityID    string         `json:"community_id"` // Community ID v1 of the connection
	SYNPacket      int            `json:"syn_packet"`   // frame of the first SYN
	SYNTime        Time           `json:"syn_time"`
	SYNAttempts    int            `json:"syn_attempts"` // SYNs sent, retransmissions included
	State          ConnState      `json:"state"`
	Established    bool           `json:"established"`
	HandshakeRTTms *float64       `json:"handshake_rtt_ms"` // SYN to SYN-ACK; null when no SYN-ACK was seen
	BytesToClient  int64          `json:"bytes_to_client"`  // TCP payload towards the FTP client
	BytesToServer  int64          `json:"bytes_to_server"`  // TCP payload towards the FTP server
	Closed         bool           `json:"closed"`           // FIN or RST seen

	// Frame numbers of notable packets, for evidence; zero when unseen.
	// Not part of the contract.
	SYNACKPacket int        `json:"-"`
	SYNACKTime   Time       `json:"-"`
	RSTPacket    int        `json:"-"`
	RSTTime      Time       `json:"-"`
	ICMPPacket   int        `json:"-"`
	ICMPTime     Time       `json:"-"`
	ICMPFrom     netip.Addr `json:"-"` // address that sent the ICMP error
	ICMPWhat     string     `json:"-"` // e.g. "port unreachable", "administratively prohibited"
	SYNPackets   []int      `json:"-"` // every SYN's frame number
	SYNTimes     []Time     `json:"-"`
	// InitiatorRole says which FTP side opened the connection: the
	// client or the server. Not part of the contract.
	InitiatorRole Role `json:"-"`
	// LastPacket and LastTime are the connection's last packet. Not part
	// of the contract.
	LastPacket int  `json:"-"`
	LastTime   Time `json:"-"`
}

// Finding is one conclusion drawn from the capture.
type Finding struct {
	Code     Code       `json:"code"`
	Severity Severity   `json:"severity"`
	Summary  string     `json:"summary"` // one sentence naming hosts and ports
	Detail   string     `json:"detail"`  // what it means and what to check
	Evidence []Evidence `json:"evidence"`

	// order places a finding that belongs to no session among the
	// others: the ordinal of the packet that raised it.
	order int
}

// Evidence points at a packet that supports a finding.
type Evidence struct {
	Packet int    `json:"packet"` // 1-based frame number in the session's source
	Time   Time   `json:"time"`
	What   string `json:"what"`
}

// Stats summarises the whole run.
type Stats struct {
	Packets      int   `json:"packets"`
	Bytes        int64 `json:"bytes"`
	FTPSessions  int   `json:"ftp_sessions"`
	DataChannels int   `json:"data_channels"`
	// Duplicates counts packets dropped as copies of packets already
	// analysed: SYNs repeated within 100 ms (a SPAN port or a router's
	// capture holding each packet twice), and packets repeated after time
	// ran backwards (a capture concatenated with itself).
	Duplicates int `json:"duplicates"`
	// Probes counts connections to a control port that the server
	// answered and the client closed within 2 s without a word: port
	// scans, not sessions.
	Probes int `json:"probes"`
	// Limits says which bounds of the analysis were hit (all zero when
	// none was): the report is then incomplete in the way it says.
	Limits    Limits  `json:"limits"`
	ElapsedMS float64 `json:"elapsed_ms"` // wall-clock time of the analysis
}

// Limits counts what the analysis's bounds left out.
type Limits struct {
	// SessionsEvicted counts sessions ended early, the one idle the
	// longest first, because Config.MaxSessions were open; each is
	// reported with what it had. A later packet of one starts a new
	// session.
	SessionsEvicted int `json:"sessions_evicted"`
	// SessionsNotFollowed counts control connections not followed at
	// all (when no session could be evicted).
	SessionsNotFollowed int `json:"sessions_not_followed"`
	// ChannelsNotFollowed counts data-channel setups beyond
	// Config.MaxChannels in one session.
	ChannelsNotFollowed int `json:"channels_not_followed"`
	// FailedLoginPairsNotFollowed counts client/server pairs whose failed
	// logins were not counted (login-brute-force), beyond 16384 pairs.
	FailedLoginPairsNotFollowed int `json:"failed_login_pairs_not_followed"`
	// ContentServersNotFollowed counts servers recognised as FTP by
	// content beyond 1024.
	ContentServersNotFollowed int `json:"content_servers_not_followed"`
	// PassiveRangeSessionsNotCounted counts sessions whose passive
	// announcements were not counted for passive-port-range, their
	// server being beyond the 4096 followed.
	PassiveRangeSessionsNotCounted int `json:"passive_range_sessions_not_counted"`
}

// Any reports whether a limit was hit.
func (l Limits) Any() bool { return l != Limits{} }

// LadderKind says what a ladder event draws.
type LadderKind string

// LadderKind values.
const (
	LadderControl LadderKind = "control" // a command or reply line
	LadderData    LadderKind = "data"    // a data connection's handshake
	LadderGap     LadderKind = "gap"     // control bytes missing from the capture
)

// LadderEvent is one arrow of the ladder diagram.
type LadderEvent struct {
	Packet int
	Time   Time
	// From is RoleClient or RoleServer: who sent it.
	From Role
	Kind LadderKind
	// Text is the line (passwords already redacted) or a label.
	Text string
	// DataChannel is the 1-based data channel id for Kind "data"; the
	// arrow's ports and outcome are in that channel's Observed.
	DataChannel int
}
