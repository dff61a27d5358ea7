package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

var errHelpShown = errors.New("help shown")

// options are the parsed command line.
type options struct {
	read          []string
	iface         string
	count         int
	duration      time.Duration
	filter        string
	format        string
	ports         []uint16
	showPasswords bool
	failOn        string
	write         string
	output        string
	quiet         bool
	version       bool
	timeBase      string
	onlyProblems  bool
	session       int
	verbose       int
	// formatGiven says -o was on the command line: an explicit -o table
	// lists every session, the default table summarises a large report.
	formatGiven bool
	metrics     string
	workers     int
	// shardK and shardN are --shard K/N; shardN is 0 without it.
	shardK, shardN int
}

// Values of -o, -t and --fail-on, in the order the help lists them.
var (
	formatValues = []string{"table", "summary", "json", "ndjson", "ladder", "html", "zeek", "zeek-json", "eve"}
	timeValues   = []string{"local", "utc", "relative"}
	levelValues  = []string{"info", "warning", "error"}
)

// summariseAbove is the number of sessions past which the default table
// (no -o) prints the summary and only the sessions that are not ok.
const summariseAbove = 50

const usageHead = `ftpscope explains FTP traffic: every control session, the data connections
it announced (PORT/EPRT/LPRT, PASV/EPSV/LPSV), the ones actually seen, who
opened each handshake, and why a transfer broke at a firewall or NAT.

Usage:
  ftpscope [flags] [BPF filter expression ...]

Examples:
  ftpscope -r capture.pcap                 sessions, data channels, findings
  ftpscope -r capture.pcap -o summary      counts by verdict, code, server
  ftpscope -r capture.pcap --only-problems sessions that are not OK only
  ftpscope -r capture.pcap --session 7 -o ladder     session 7 as a diagram
  ftpscope -r a.pcapng -r b.pcap.gz        several files, one timeline
  ftpscope -r inside.pcap -r outside.pcap  both sides of a NAT compared
  ftpscope -r capture.pcap -o json         one JSON document (docs/json.md)
  ftpscope -r capture.pcap -o html -O report.html    diagrams as a page to send
  tcpdump -w - port 21 | ftpscope -r -     a capture on standard input
  ftpscope -r capture.pcap -p 21,2121 host 10.0.0.5
  sudo ftpscope -i eth0 -o ndjson host 203.0.113.7
  ftpscope -r capture.pcap -o zeek         Zeek's ftp.log (also zeek-json, eve)
  ftpscope -r capture.pcap -w ftp.pcapng   FTP packets, findings as comments
  ftpscope -r capture.pcap --fail-on error exit 1 when a transfer broke
  ftpscope -r big.pcap --shard 0/4 > s0.ndjson   one of 4 machines' share
  ftpscope merge s0.ndjson s1.ndjson s2.ndjson s3.ndjson   the whole report

Flags:
`

// newFlagSet defines every flag of the command line on a new set, with o
// receiving the values. The flags' own help texts are the source of
// --help, the man page and the shell completions (docs/).
func newFlagSet(o *options) *flagSet {
	fs := pflag.NewFlagSet("ftpscope", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	f := &flagSet{FlagSet: fs}
	fs.StringArrayVarP(&o.read, "read", "r", nil, "read a capture `FILE` (pcap, pcapng, .gz; - for stdin); repeatable")
	fs.StringVarP(&o.iface, "interface", "i", "", "sniff a live interface `NAME`; 'any' for all (Ctrl-C ends and prints the report)")
	fs.IntVarP(&o.count, "count", "c", 0, "stop after `N` packets (live capture or files)")
	fs.DurationVar(&o.duration, "duration", 0, "stop a live capture after `D` (Go duration, e.g. 30s, 5m)")
	fs.StringVarP(&o.filter, "filter", "f", "", "BPF filter `EXPR` (tcpdump syntax); also taken from trailing arguments")
	fs.StringVarP(&o.format, "format", "o", "table", "output `FMT`: "+strings.Join(formatValues, ", "))
	f.ports = fs.StringP("ports", "p", "21", "FTP control `PORTS`, comma separated")
	fs.StringVarP(&o.timeBase, "time", "t", "local", "times in text outputs: `BASE` local, utc or relative (seconds since the first packet)")
	fs.BoolVar(&o.onlyProblems, "only-problems", false, "report only sessions whose verdict is not ok (every format)")
	fs.IntVar(&o.session, "session", 0, "report only session `N` (every format)")
	fs.BoolVar(&o.showPasswords, "show-passwords", false, "show PASS arguments instead of ***")
	fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at least `LEVEL`: info, warning, error")
	fs.StringVarP(&o.write, "write", "w", "", "save FTP control and correlated data packets to `FILE` (pcapng, the findings as packet comments; - for stdout, the report then goes to stderr)")
	fs.StringVarP(&o.output, "output", "O", "", "write the report to `FILE` instead of standard output")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar or live status line")
	f.noProgress = fs.Bool("no-progress", false, "no progress bar (same as -q)")
	fs.CountVarP(&o.verbose, "verbose", "v", "add each session's commands and replies to the table; with -i, say at the end what each capture socket read and what the kernel dropped")
	f.numeric = fs.CountP("numeric", "n", "accepted as in tcpdump (-n, -nn): ftpscope never resolves names")
	f.shard = fs.String("shard", "", "analyse only share `K/N` of the clients (K from 0) and write NDJSON for 'ftpscope merge'")
	fs.IntVar(&o.workers, "workers", 0, "analyse on `N` cores: a file (the report is the same for every N), or with -i N sockets of one fanout group, shared by address pair (AF_PACKET build, not with -w); 0, the default, uses every core")
	fs.StringVar(&o.metrics, "metrics", "", "with -i: serve Prometheus metrics at http://`ADDR`/metrics")
	fs.BoolVar(&o.version, "version", false, "print the version, commit and build date")
	f.help = fs.BoolP("help", "h", false, "show this help")
	return f
}

// flagSet is the command line's pflag set with the flags that do not go
// straight into options.
type flagSet struct {
	*pflag.FlagSet
	ports      *string
	shard      *string
	noProgress *bool
	numeric    *int
	help       *bool
}

func parseFlags(args []string, stdout io.Writer) (options, error) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		return o, usagef("%v", err)
	}
	if *fs.help {
		fmt.Fprint(stdout, usageHead)
		fmt.Fprint(stdout, flagUsages(fs.FlagSet))
		fmt.Fprintf(stdout, "\nThis build captures live packets with %s.\n", liveBackendHelp())
		fmt.Fprint(stdout, "Exit status: 0 analysed, 1 --fail-on threshold met, 2 usage error or\nunreadable input. Documentation: man ftpscope (docs/ftpscope.1), docs/json.md.\n")
		return o, errHelpShown
	}
	if o.version {
		return o, nil
	}
	o.quiet = o.quiet || *fs.noProgress
	o.formatGiven = fs.Changed("format")
	rest := fs.Args()
	if err := misplacedFiles(rest, o.read); err != nil {
		return o, err
	}
	if len(rest) > 0 {
		if o.filter != "" {
			return o, usagef("a filter was given both with -f and as arguments (%q)", strings.Join(rest, " "))
		}
		o.filter = strings.Join(rest, " ")
	}
	var err error
	if o.format, err = oneOf("format", o.format, formatValues); err != nil {
		return o, err
	}
	if o.timeBase, err = oneOf("-t time base", o.timeBase, timeValues); err != nil {
		return o, err
	}
	if o.failOn != "" {
		if o.failOn, err = oneOf("--fail-on level", o.failOn, levelValues); err != nil {
			return o, err
		}
	}
	p, err := parsePorts(*fs.ports)
	if err != nil {
		return o, err
	}
	o.ports = p
	switch {
	case len(o.read) == 0 && o.iface == "":
		return o, usagef("nothing to read: give a capture file with -r FILE or an interface with -i NAME")
	case len(o.read) > 0 && o.iface != "":
		return o, usagef("-r and -i cannot be used together")
	case o.iface == "" && o.metrics != "":
		return o, usagef("--metrics applies to live capture (-i) only")
	case o.iface == "" && o.duration != 0:
		return o, usagef("--duration applies to live capture (-i) only; -c N stops a file after N packets")
	case o.workers < 0:
		return o, usagef("--workers takes a number of cores, 0 for all, not %d", o.workers)
	case o.count < 0:
		return o, usagef("-c must be positive, not %d", o.count)
	case o.duration < 0:
		return o, usagef("--duration must be positive, not %s", o.duration)
	case fs.Changed("session") && o.session < 1:
		return o, usagef("--session takes a session number from 1 on, as the reports number them, not %d", o.session)
	}
	if err := sameFileTwice(o.read); err != nil {
		return o, err
	}
	if *fs.shard != "" {
		if err := parseShard(&o, *fs.shard, fs); err != nil {
			return o, err
		}
	}
	return o, nil
}

// oneOf returns v in lower case when it is one of values (case does not
// matter), or a usage error naming what was asked for and the values
// there are.
func oneOf(what, v string, values []string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(v))
	for _, x := range values {
		if l == x {
			return l, nil
		}
	}
	return v, usagef("unknown %s %q: use %s", what, v, orList(values))
}

// orList writes "a, b or c".
func orList(vs []string) string {
	if len(vs) < 2 {
		return strings.Join(vs, "")
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

// captureExts are the file name endings of captures, for telling a file
// given without -r from a filter expression.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".gz"}

// misplacedFiles catches a capture file given as a trailing argument,
// where tcpdump and ftpscope take a filter expression: "ftpscope
// x.pcap" means -r x.pcap. An argument counts as a file when it names an
// existing file and has a dot or a slash in it (filter keywords have
// neither), or ends like a capture.
func misplacedFiles(rest, read []string) error {
	var files []string
	for _, a := range rest {
		if looksLikeFile(a) {
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		return nil
	}
	var want []string
	for _, r := range read {
		want = append(want, "-r "+shellQuote(r))
	}
	for _, f := range files {
		want = append(want, "-r "+shellQuote(f))
	}
	what := "a filter expression"
	if len(files) == 1 {
		return usagef("%q is a file, not %s: did you mean %s?", files[0], what, strings.Join(want, " "))
	}
	return usagef("%s are files, not %s: did you mean %s?", strings.Join(files, ", "), what, strings.Join(want, " "))
}

func looksLikeFile(a string) bool {
	l := strings.ToLower(a)
	for _, ext := range captureExts {
		if strings.HasSuffix(l, ext) && len(l) > len(ext) {
			return true
		}
	}
	if !strings.ContainsAny(a, "./") {
		return false
	}
	st, err := os.Stat(a)
	return err == nil && st.Mode().IsRegular()
}

// shellQuote quotes s for a shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+,:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sameFileTwice refuses a capture given twice with -r: it would be
// analysed as two capture points that saw the very same packets.
func sameFileTwice(read []string) error {
	type seen struct {
		name string
		st   os.FileInfo
	}
	var prev []seen
	for _, r := range read {
		cur := seen{name: r}
		if r != "-" {
			cur.st, _ = os.Stat(r)
		}
		for _, p := range prev {
			same := filepath.Clean(p.name) == filepath.Clean(r)
			if !same && p.st != nil && cur.st != nil {
				same = os.SameFile(p.st, cur.st)
			}
			if same {
				if r == "-" {
					return usagef("-r - (standard input) is given twice; it can be read once")
				}
				if p.name == r {
					return usagef("-r %s is given twice; give each capture once", r)
				}
				return usagef("-r %s and -r %s are the same file; give each capture once", p.name, r)
			}
		}
		prev = append(prev, cur)
	}
	return nil
}

func parsePorts(s string) ([]uint16, error) {
	var out []uint16
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil || n == 0 {
			return nil, usagef("bad port %q in --ports: want numbers 1-65535 separated by commas", f)
		}
		out = append(out, uint16(n))
	}
	if len(out) == 0 {
		return nil, usagef("--ports needs at least one port")
	}
	return out, nil
}

// flagUsages lists the flags as tcpdump users expect: "-r, --read FILE",
// with no "[=true|false]" after switches.
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		name, usage := pflag.UnquoteUsage(f)
		switch f.Value.Type() {
		case "bool", "count":
		default:
			left += " " + name
		}
		if f.DefValue != "" && f.Value.Type() != "bool" && f.Value.Type() != "count" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	// The help fits 80 columns: usage text wraps under itself.
	var b strings.Builder
	room := max(helpWidth-width-2, 20)
	for _, r := range rows {
		left := r.left
		for _, line := range wrapWords(r.usage, room) {
			fmt.Fprintf(&b, "%-*s  %s\n", width, left, line)
			left = ""
		}
	}
	return b.String()
}

// helpWidth is the width --help fits in.
const helpWidth = 80

// wrapWords breaks s into lines of at most n bytes at spaces.
func wrapWords(s string, n int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
