package report

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ftpscope/ftpscope/session"
)

// ZeekDefaultCommands are the commands Zeek's FTP analyser logs by default
// (FTP::logged_commands in base/protocols/ftp/main.zeek).
var ZeekDefaultCommands = []string{"APPE", "DELE", "RETR", "STOR", "STOU", "ACCT", "PORT", "PASV", "EPRT", "EPSV"}

// zeekFields and zeekTypes are the columns of Zeek's ftp.log, in order.
var (
	zeekFields = []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "user", "password", "command", "arg",
		"mime_type", "file_size", "reply_code", "reply_msg", "data_channel.passive", "data_channel.orig_h", "data_channel.resp_h",
		"data_channel.resp_p", "fuid"}
	zeekTypes = []string{"time", "string", "addr", "port", "addr", "port", "string", "string", "string", "string",
		"string", "count", "count", "string", "bool", "addr", "addr", "port", "string"}
)

// zeekFileCommands are the commands whose argument Zeek logs as an
// ftp:// URL (FTP::file_cmds).
var zeekFileCommands = map[string]bool{"APPE": true, "RETR": true, "STOR": true, "STOU": true}

// zeekHidden is what Zeek writes for a password it does not log.
const zeekHidden = "<hidden>"

// ZeekOptions say how the Zeek ftp.log is written.
type ZeekOptions struct {
	// JSON writes JSON lines, as Zeek does with LogAscii::use_json,
	// instead of the tab-separated log with its header.
	JSON bool
	// ShowPasswords writes PASS arguments as the transcript holds them
	// (with session.Config.ShowPasswords); otherwise the password column
	// and the PASS argument read "<hidden>", as Zeek writes a password it
	// does not capture.
	ShowPasswords bool
	// Commands are the commands that get a row; nil means
	// ZeekDefaultCommands, as FTP::logged_commands.
	Commands []string
}

// Zeek writes sessions as Zeek's ftp.log, -o zeek and -o zeek-json: one
// row per logged command, with Zeek's field names, types and escaping.
// Sessions need their Transcript (session.Config.Transcript); the file
// size of a RETR comes from its 150 reply, which only the Ladder keeps
// (session.Config.Ladder). Its methods are safe for concurrent use.
//
// Where Zeek's values are random (uid, fuid), Zeek writes the wall clock
// (#open, #close) or Zeek's reading differs from what ftpscope knows, see
// docs/integrations.md.
type Zeek struct {
	mu       sync.Mutex
	w        *bufio.Writer
	o        ZeekOptions
	commands map[string]bool
	header   bool      // the TSV header is written
	last     time.Time // the latest capture time written, for #close
	buf      []byte
}

// NewZeek returns a Zeek writer on w.
func NewZeek(w io.Writer, o ZeekOptions) *Zeek {
	z := &Zeek{w: bufio.NewWriter(w), o: o, commands: map[string]bool{}}
	cmds := o.Commands
	if cmds == nil {
		cmds = ZeekDefaultCommands
	}
	for _, c := range cmds {
		z.commands[strings.ToUpper(c)] = true
	}
	return z
}

// WriteZeek writes a whole report as -o zeek (or zeek-json) does.
func WriteZeek(w io.Writer, r *session.Report, o ZeekOptions) error {
	return NewZeek(w, o).End(r)
}

// Session writes the rows of one session. A nil session writes nothing.
func (z *Zeek) Session(s *session.Session) error {
	if s == nil {
		return nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	rows := z.rows(s)
	if len(rows) > 0 {
		z.writeHeader(s.Start.Time)
	}
	for i := range rows {
		if z.o.JSON {
			z.buf = rows[i].appendJSON(z.buf[:0])
		} else {
			z.buf = rows[i].appendTSV(z.buf[:0])
		}
		z.w.Write(z.buf)
	}
	if s.End.After(z.last) {
		z.last = s.End.Time
	}
	return z.flush()
}

// End writes the sessions r holds (those not written already), then, for
// the TSV log, the #close line: the newest capture time of the input.
func (z *Zeek) End(r *session.Report) error {
	if r == nil {
		return errNilReport
	}
	for _, s := range r.Sessions {
		if err := z.Session(s); err != nil {
			return err
		}
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.o.JSON {
		return z.flush()
	}
	var first time.Time
	for _, src := range r.Sources {
		if !src.FirstSeen.IsZero() && (first.IsZero() || src.FirstSeen.Before(first)) {
			first = src.FirstSeen.Time
		}
		if src.LastSeen.After(z.last) {
			z.last = src.LastSeen.Time
		}
	}
	z.writeHeader(first)
	if z.last.IsZero() {
		z.last = first
	}
	z.w.WriteString("#close\t" + zeekHeaderTime(z.last) + "\n")
	return z.flush()
}

func (z *Zeek) flush() error {
	if err := z.w.Flush(); err != nil {
		return fmt.Errorf("report: write zeek: %w", err)
	}
	return nil
}

// writeHeader writes the TSV header once. Zeek writes the wall-clock time
// the log was opened; ftpscope writes the capture time of the first
// session logged (open), so that a capture always gives the same log.
func (z *Zeek) writeHeader(open time.Time) {
	if z.o.JSON || z.header {
		return
	}
	z.header = true
	z.w.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tftp\n")
	z.w.WriteString("#open\t" + zeekHeaderTime(open) + "\n")
	z.w.WriteString("#fields\t" + strings.Join(zeekFields, "\t") + "\n")
	z.w.WriteString("#types\t" + strings.Join(zeekTypes, "\t") + "\n")
}

// zeekHeaderTime formats #open and #close as Zeek does
// (%Y-%m-%d-%H-%M-%S), in UTC.
func zeekHeaderTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("2006-01-02-15-04-05")
}

// zeekRow is one row of ftp.log. Pointers and empty strings marked
// "unset" are Zeek's unset fields ("-").
type zeekRow struct {
	ts         time.Time
	uid        string
	orig, resp netip.AddrPort
	user       string
	password   *string
	command    string
	arg        *string
	fileSize   *int64
	replyCode  *int
	replyMsg   *string
	dc         *zeekChannel
	fuid       string // unset when ""
	// communityID and dataCommunityID are written in JSON only.
	communityID, dataCommunityID string
}

// zeekChannel is Zeek's FTP::ExpectedDataChannel.
type zeekChannel struct {
	passive      bool
	origH, respH netip.Addr
	respP        uint16
}

// rows turns a session's transcript into Zeek's rows, keeping Zeek's
// state as it goes: the user and password known so far, and the working
// directory for the URLs of file commands.
func (z *Zeek) rows(s *session.Session) []zeekRow {
	var rows []zeekRow
	uid := zeekID("C", sessionHash(s))
	pre := prelims(s)
	user := "<unknown>"
	var password *string
	cwd := "."
	for i, ex := range s.Transcript {
		if ex.Command == "" {
			continue
		}
		arg := ex.Arg
		switch ex.Command {
		case "USER":
			user = ex.Arg
		case "PASS":
			p := ex.Arg
			if !z.o.ShowPasswords {
				p = zeekHidden
			}
			password, arg = &p, p
		}
		if z.commands[ex.Command] {
			row := zeekRow{ts: ex.Time.Time, uid: uid, orig: s.Client, resp: s.Server, user: user, password: password,
				command: ex.Command, communityID: s.CommunityID}
			if zeekFileCommands[ex.Command] {
				url := zeekURL(s.Server.Addr(), cwd, arg)
				row.arg = &url
			} else if arg != "" {
				a := arg
				row.arg = &a
			}
			if ex.Reply != 0 {
				code, msg := ex.Reply, lastLine(ex.ReplyText)
				row.replyCode, row.replyMsg = &code, &msg
			}
			if ex.Command == "RETR" {
				for _, p := range pre[i] {
					if n, ok := zeekFileSize(p); ok {
						row.fileSize = &n
					}
				}
			}
			if dc := channel(s, ex.DataChannel); dc != nil {
				row.dc = zeekDataChannel(s, dc, ex.Command)
				if o := dc.Observed; o != nil {
					row.dataCommunityID = o.CommunityID
					if dc.TransferCommand != nil && *dc.TransferCommand == ex.Command && o.BytesToClient+o.BytesToServer > 0 {
						row.fuid = zeekID("F", dataHash(o))
					}
				}
			}
			rows = append(rows, row)
		}
		cwd = zeekCWD(cwd, ex)
	}
	return rows
}

// channel returns data channel id of s, or nil.
func channel(s *session.Session, id int) *session.DataChannel {
	if id <= 0 {
		return nil
	}
	for _, dc := range s.DataChannels {
		if dc != nil && dc.ID == id {
			return dc
		}
	}
	return nil
}

// zeekDataChannel is the data_channel of the row of command cmd, which
// set up or used dc: Zeek fills it on the setup command's row only, when
// the announcement could be read (PORT/EPRT arguments, 227/229 replies).
// Where ftpscope saw the connection, its endpoints are those it actually
// used, which differ from the announcement behind NAT.
func zeekDataChannel(s *session.Session, dc *session.DataChannel, cmd string) *zeekChannel {
	if dc.SetupCommand != cmd || dc.Announced == nil {
		return nil
	}
	c := &zeekChannel{passive: dc.Mode == session.ModePassive, respH: dc.Announced.Addr(), respP: dc.Announced.Port()}
	if c.passive {
		c.origH = s.Client.Addr()
	} else {
		c.origH = s.Server.Addr()
	}
	if o := dc.Observed; o != nil {
		c.origH, c.respH, c.respP = o.Initiator.Addr(), o.Responder.Addr(), o.Responder.Port()
	}
	return c
}

// zeekSize finds the size in a 150 reply, "(77 bytes)".
var zeekSize = regexp.MustCompile(`\(([0-9]+)[ \t]+[Bb]ytes?\)`)

// zeekFileSize reads the file size a 150 reply announces, as Zeek does
// for RETR.
func zeekFileSize(p prelim) (int64, bool) {
	if p.code != 150 {
		return 0, false
	}
	m := zeekSize.FindAllStringSubmatch(p.text, -1)
	if len(m) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(m[len(m)-1][1], 10, 64)
	return n, err == nil
}

// zeekCWD follows the working directory as Zeek does (FTP::directory_cmds):
// CWD answered 250, CDUP answered 200 or 250, PWD and XPWD answered 257.
func zeekCWD(cwd string, ex session.Exchange) string {
	switch {
	case ex.Command == "CWD" && ex.Reply == 250:
		return zeekBuildPath(cwd, ex.Arg)
	case ex.Command == "CDUP" && (ex.Reply == 200 || ex.Reply == 250):
		return cwd + "/.."
	case (ex.Command == "PWD" || ex.Command == "XPWD") && ex.Reply == 257:
		msg := lastLine(ex.ReplyText)
		if i := strings.IndexByte(msg, '"'); i >= 0 {
			if j := strings.IndexByte(msg[i+1:], '"'); j >= 0 {
				return msg[i+1 : i+1+j]
			}
		}
		return msg
	}
	return cwd
}

// zeekAbsolute matches what Zeek takes for an absolute path.
var zeekAbsolute = regexp.MustCompile(`^(/|[A-Za-z]:[\\/])`)

// zeekBuildPath is Zeek's build_path.
func zeekBuildPath(cwd, path string) string {
	if zeekAbsolute.MatchString(path) {
		return path
	}
	return cwd + "/" + path
}

// zeekURL is Zeek's build_url_ftp: ftp://host/path, the path made from
// the working directory and the argument and compressed as Zeek's
// compress_path does.
func zeekURL(host netip.Addr, cwd, arg string) string {
	p := zeekCompressPath(zeekBuildPath(cwd, arg))
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	h := host.String()
	if host.Is6() {
		h = "[" + h + "]"
	}
	return "ftp://" + h + p
}

// zeekCompressPath is Zeek's compress_path (normalize_path): a path with
// neither "/." nor "//" keeps its form, less one trailing slash; any
// other loses empty and "." components, and ".." takes the component
// before it.
func zeekCompressPath(p string) string {
	if !strings.Contains(p, "/.") && !strings.Contains(p, "//") {
		if len(p) > 1 && strings.HasSuffix(p, "/") {
			return p[:len(p)-1]
		}
		return p
	}
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(parts) > 0 && parts[len(parts)-1] != ".." {
				parts = parts[:len(parts)-1]
			} else {
				parts = append(parts, c)
			}
		default:
			parts = append(parts, c)
		}
	}
	out := strings.Join(parts, "/")
	if strings.HasPrefix(p, "/") {
		out = "/" + out
	}
	return out
}

// appendTSV writes the row as Zeek's ASCII writer does.
func (r *zeekRow) appendTSV(b []byte) []byte {
	unset := func(b []byte) []byte { return append(b, '-') }
	b = appendZeekTime(b, r.ts)
	b = append(b, '\t')
	b = appendZeekString(b, r.uid)
	b = append(b, '\t')
	b = append(b, r.orig.Addr().String()...)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(r.orig.Port()), 10)
	b = append(b, '\t')
	b = append(b, r.resp.Addr().String()...)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(r.resp.Port()), 10)
	b = append(b, '\t')
	b = appendZeekString(b, r.user)
	for _, v := range []*string{r.password, &r.command, r.arg, nil} { // nil: mime_type
		b = append(b, '\t')
		if v == nil {
			b = unset(b)
		} else {
			b = appendZeekString(b, *v)
		}
	}
	b = append(b, '\t')
	if r.fileSize != nil {
		b = strconv.AppendInt(b, *r.fileSize, 10)
	} else {
		b = unset(b)
	}
	b = append(b, '\t')
	if r.replyCode != nil {
		b = strconv.AppendInt(b, int64(*r.replyCode), 10)
	} else {
		b = unset(b)
	}
	b = append(b, '\t')
	if r.replyMsg != nil {
		b = appendZeekString(b, *r.replyMsg)
	} else {
		b = unset(b)
	}
	if c := r.dc; c != nil {
		b = append(b, '\t')
		if c.passive {
			b = append(b, 'T')
		} else {
			b = append(b, 'F')
		}
		b = append(b, '\t')
		b = append(b, c.origH.String()...)
		b = append(b, '\t')
		b = append(b, c.respH.String()...)
		b = append(b, '\t')
		b = strconv.AppendUint(b, uint64(c.respP), 10)
	} else {
		b = append(b, "\t-\t-\t-\t-"...)
	}
	b = append(b, '\t')
	if r.fuid != "" {
		b = appendZeekString(b, r.fuid)
	} else {
		b = unset(b)
	}
	return append(b, '\n')
}

// appendJSON writes the row as Zeek's JSON writer does: the same fields,
// unset ones left out, plus community_id (and data_channel.community_id
// for a row whose command set up or used a data connection ftpscope
// saw).
func (r *zeekRow) appendJSON(b []byte) []byte {
	str := func(b []byte, k, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		return appendJSONString(b, zeekJSONEscape(v))
	}
	num := func(b []byte, k string, v int64) []byte {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		return strconv.AppendInt(b, v, 10)
	}
	b = append(b, `{"ts":`...)
	b = appendZeekTime(b, r.ts)
	b = str(b, "uid", r.uid)
	b = str(b, "id.orig_h", r.orig.Addr().String())
	b = num(b, "id.orig_p", int64(r.orig.Port()))
	b = str(b, "id.resp_h", r.resp.Addr().String())
	b = num(b, "id.resp_p", int64(r.resp.Port()))
	b = str(b, "user", r.user)
	if r.password != nil {
		b = str(b, "password", *r.password)
	}
	b = str(b, "command", r.command)
	if r.arg != nil {
		b = str(b, "arg", *r.arg)
	}
	if r.fileSize != nil {
		b = num(b, "file_size", *r.fileSize)
	}
	if r.replyCode != nil {
		b = num(b, "reply_code", int64(*r.replyCode))
	}
	if r.replyMsg != nil {
		b = str(b, "reply_msg", *r.replyMsg)
	}
	if c := r.dc; c != nil {
		b = append(b, `,"data_channel.passive":`...)
		b = strconv.AppendBool(b, c.passive)
		b = str(b, "data_channel.orig_h", c.origH.String())
		b = str(b, "data_channel.resp_h", c.respH.String())
		b = num(b, "data_channel.resp_p", int64(c.respP))
	}
	if r.fuid != "" {
		b = str(b, "fuid", r.fuid)
	}
	if r.communityID != "" {
		b = str(b, "community_id", r.communityID)
	}
	if r.dataCommunityID != "" {
		b = str(b, "data_channel.community_id", r.dataCommunityID)
	}
	return append(b, '}', '\n')
}

// appendZeekTime writes a time as Zeek does: seconds since the epoch with
// six decimals.
func appendZeekTime(b []byte, t time.Time) []byte {
	us := t.UnixMicro()
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := strconv.FormatInt(us%1e6, 10)
	b = append(b, "000000"[len(frac):]...)
	return append(b, frac...)
}

const hexDigits = "0123456789abcdef"

func appendHexEscape(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
}

// appendZeekString writes a string field as Zeek's ASCII writer does: the
// empty string as "(empty)", a lone "-" as "\x2d" so that it is not read
// as unset, and the separator (tab), every other control character, the
// backslash and every byte that is not part of valid UTF-8 as \xHH. So a
// row never has more columns than the header, whatever the capture holds.
func appendZeekString(b []byte, s string) []byte {
	switch s {
	case "":
		return append(b, "(empty)"...)
	case "-":
		return append(b, `\x2d`...)
	}
	return appendEscaped(b, s, func(c byte) bool { return c == '\\' || c < 0x20 || c == 0x7f })
}

// appendEscaped appends s to b with every ASCII byte that escape names,
// and every byte that is not part of valid UTF-8, as \xHH.
func appendEscaped(b []byte, s string, escape func(c byte) bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c < utf8.RuneSelf && escape(c):
			b = appendHexEscape(b, c)
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				b = appendHexEscape(b, c)
				i++
				continue
			}
			b = append(b, s[i:i+n]...)
			i += n
		}
	}
	return b
}

// zeekJSONEscape prepares a string as Zeek's JSON writer does
// (json_escape_utf8): valid UTF-8 stays, and control characters other
// than \b, \f, \n, \r and \t and every byte that is not part of valid
// UTF-8 become the four characters \xHH. The JSON quoting comes after.
func zeekJSONEscape(s string) string {
	if utf8.ValidString(s) && !hasRawControl(s) {
		return s
	}
	return string(appendEscaped(nil, s, func(c byte) bool { return (c < 0x20 && !jsonShortEscape(c)) || c == 0x7f }))
}

func jsonShortEscape(c byte) bool {
	return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t'
}

func hasRawControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && !jsonShortEscape(c)) || c == 0x7f {
			return true
		}
	}
	return false
}

// appendJSONString quotes s, which must be valid UTF-8, as a JSON string
// without HTML escaping.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
