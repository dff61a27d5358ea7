package report

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/ftpscope/ftpscope/session"
)

// defaultWidth is the terminal width assumed when Options.Width is 0:
// that of a terminal nobody resized, and of the output when it is not a
// terminal.
const defaultWidth = 80

// minWidth is the narrowest layout drawn; a smaller Options.Width is
// raised to it.
const minWidth = 60

// Options controls the human-readable formats.
type Options struct {
	// Color allows ANSI colour (stdout is a terminal). Without it the
	// output holds no escape sequence at all.
	Color bool
	// Width is the terminal width every line fits in: tables choose
	// their columns and abbreviations for it, text wraps at it. 0 means
	// 80; widths below 60 are treated as 60.
	Width int
	// Time is the base of every time shown; "" means TimeUTC.
	Time TimeBase
	// Location is the zone of TimeLocal; nil means time.Local (which
	// honours TZ).
	Location *time.Location
	// SummarizeAbove, when not 0, makes WriteTable print the summary and
	// only the sessions whose verdict is not ok when the report has more
	// sessions than this, with a line that says how to see the others.
	SummarizeAbove int
	// Transcript adds each session's commands and replies
	// (Session.Transcript) to the table: ftpscope -v.
	Transcript bool
	// ShowPasswords adds a PASSWORD column to the session table, from
	// the PASS commands of Session.Transcript: ftpscope --show-passwords.
	ShowPasswords bool
}

// width returns the effective layout width.
func (o Options) width() int {
	switch {
	case o.Width == 0:
		return defaultWidth
	case o.Width < minWidth:
		return minWidth
	}
	return o.Width
}

// ANSI SGR sequences used when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

// paint wraps s in the SGR sequence code when on is set.
func paint(on bool, code, s string) string {
	if !on || code == "" || s == "" {
		return s
	}
	return code + s + ansiReset
}

// severityColor is the colour of a severity tag.
func severityColor(s session.Severity) string {
	switch s {
	case session.SeverityError:
		return ansiRed + ansiBold
	case session.SeverityWarning:
		return ansiYellow
	case session.SeverityInfo:
		return ansiCyan
	}
	return ""
}

// verdictColor is the colour of a verdict line, chosen by its prefix.
func verdictColor(v string) string {
	switch {
	case strings.HasPrefix(v, verdictFailed):
		return ansiRed + ansiBold
	case strings.HasPrefix(v, verdictWarning):
		return ansiYellow + ansiBold
	case strings.HasPrefix(v, verdictIncomplete):
		return ansiYellow
	case strings.HasPrefix(v, verdictOK):
		return ansiGreen + ansiBold
	}
	return ""
}

// clean makes text taken from a capture safe to print on a terminal:
// control characters, invalid UTF-8 and invisible or non-printing
// characters (bidi overrides, zero-width joiners, line separators) are
// written as Go-style escapes (\r, \x1b, \u202e), so that no byte of a
// capture reaches the terminal as a command. Printable characters,
// backslashes included, are kept as they are. clean is idempotent.
func clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteString(s[i : i+size])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	return b.String()
}

// isClean reports whether clean would return s unchanged.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return isCleanSlow(s)
		}
	}
	return true
}

// isCleanSlow is isClean for text with bytes outside printable ASCII.
func isCleanSlow(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false
			}
		}
		if r != ' ' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// cells measures text in terminal cells. East Asian ambiguous
// characters count as narrow, whatever the locale, so that the output
// does not depend on the environment. It is never modified.
var cells = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// textWidth is the number of terminal columns s takes.
func textWidth(s string) int {
	return cells.StringWidth(s)
}

// runeWidth is the number of terminal columns r takes.
func runeWidth(r rune) int {
	return cells.RuneWidth(r)
}

// ellipsis ends a truncated text.
const ellipsis = "…"

// truncate shortens s to at most max columns, ending it with "…" when
// something was cut. s must be clean.
func truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if textWidth(s) <= max {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > max-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	b.WriteString(ellipsis)
	return b.String()
}

// wrap breaks s into lines of at most max columns, at spaces where it can
// and inside over-long words where it must. s must be clean.
func wrap(s string, max int) []string {
	if max < 1 {
		max = 1
	}
	var lines []string
	var line strings.Builder
	lineW := 0
	flush := func() {
		lines = append(lines, line.String())
		line.Reset()
		lineW = 0
	}
	for _, word := range strings.Fields(s) {
		ww := textWidth(word)
		if lineW > 0 && lineW+1+ww > max {
			flush()
		}
		if lineW > 0 {
			line.WriteByte(' ')
			lineW++
		}
		for ww > max-lineW {
			// The word alone is wider than a line: cut it.
			head, rest := cutWidth(word, max-lineW)
			line.WriteString(head)
			flush()
			word, ww = rest, textWidth(rest)
		}
		line.WriteString(word)
		lineW += ww
	}
	if lineW > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// cutWidth splits s after at most n columns, taking at least one rune so
// that callers make progress.
func cutWidth(s string, n int) (head, rest string) {
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if i > 0 && w+rw > n {
			return s[:i], s[i:]
		}
		w += rw
	}
	return s, ""
}

// padRight pads s with spaces to n columns.
func padRight(s string, n int) string {
	if w := textWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// padLeft pads s with spaces on the left to n columns.
func padLeft(s string, n int) string {
	if w := textWidth(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}

// humanBytes writes n as 512 B, 1.5 KiB, 3.2 MiB...
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// seconds writes d as seconds with microseconds: 12.345678.
func seconds(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	us := d.Microseconds()
	return fmt.Sprintf("%s%d.%06d", sign, us/1_000_000, us%1_000_000)
}

// duration writes d briefly for a table: 0.215s, 12.3s, 4m05s, 2h03m.
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < 10*time.Second:
		return fmt.Sprintf("%.3fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// stamp writes a capture time in UTC: 2024-05-01 12:00:00.123; "-" for
// zero. The HTML page writes its times so; the text formats use clock.
func stamp(t session.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// plural writes "1 transfer" or "3 transfers".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// strOr returns *p, cleaned, or def when p is nil.
func strOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return clean(*p)
}

// intOr returns *p as text, or def when p is nil.
func intOr(p *int, def string) string {
	if p == nil {
		return def
	}
	return fmt.Sprint(*p)
}

// endpoint writes host:port as net.JoinHostPort does, or "-" for an
// endpoint that is not valid.
func endpoint(ep netip.AddrPort) string {
	if !ep.IsValid() {
		return "-"
	}
	return ep.String()
}

// endpointOr writes *ep, or "-" when ep is nil.
func endpointOr(ep *netip.AddrPort) string {
	if ep == nil {
		return "-"
	}
	return endpoint(*ep)
}

// shortEndpoint writes ep in at most w columns: whole when it fits, else
// with the middle of the address cut ("[2001:db8:…:bbbb:aaaa]:21"), so
// that the network and the host ends and the port stay readable.
func shortEndpoint(ep string, w int) string {
	if textWidth(ep) <= w {
		return ep
	}
	host, port := ep, ""
	if i := strings.LastIndexByte(ep, ':'); i > 0 && (strings.HasPrefix(ep, "[") || strings.Count(ep, ":") == 1) {
		host, port = ep[:i], ep[i:]
	}
	open, close := "", ""
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		open, close, host = "[", "]", host[1:len(host)-1]
	}
	room := w - textWidth(port) - len(open) - len(close) - 1 // the ellipsis
	if room < 4 || !isClean(host) {
		return truncate(ep, w)
	}
	tail := room / 2
	head := room - tail
	return open + host[:head] + ellipsis + host[len(host)-tail:] + close + port
}
