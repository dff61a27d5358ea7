package main

import (
	"errors"
	"fmt"
	"io"
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
	metrics       string
}

const usageHead = `ftpscope explains FTP traffic: every control session, the data connections
it announced (PORT/EPRT/LPRT, PASV/EPSV/LPSV), the ones actually seen, who
opened each handshake, and why a transfer broke at a firewall or NAT.

Usage:
  ftpscope [flags] [BPF filter expression ...]

Examples:
  ftpscope -r capture.pcap                 table of sessions, data channels, findings
  ftpscope -r a.pcapng -r b.pcap.gz        several files analysed as one timeline
  ftpscope -r inside.pcap -r outside.pcap   both sides of a NAT: was PORT/PASV rewritten?
  ftpscope -r capture.pcap -o json         one JSON document (see CONTRACT.md)
  ftpscope -r capture.pcap -o ladder       sequence diagram of each session
  ftpscope -r capture.pcap -o html -O report.html   the diagrams as a page to send
  tcpdump -w - port 21 | ftpscope -r -     read a capture from standard input
  ftpscope -r capture.pcap -p 21,2121 host 10.0.0.5
  sudo ftpscope -i eth0 -o ndjson host 203.0.113.7
  ftpscope -r capture.pcap -o zeek         Zeek ftp.log (also zeek-json; eve: Suricata EVE)
  ftpscope -r capture.pcap --fail-on error  exit 1 when a transfer broke

Flags:
`

func parseFlags(args []string, stdout io.Writer) (options, error) {
	var o options
	fs := pflag.NewFlagSet("ftpscope", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.StringArrayVarP(&o.read, "read", "r", nil, "read a capture file (pcap, pcapng, .gz; - for stdin); repeatable")
	fs.StringVarP(&o.iface, "interface", "i", "", "sniff a live interface; 'any' for all (Ctrl-C ends and prints the report)")
	fs.IntVarP(&o.count, "count", "c", 0, "stop a live capture after `N` packets")
	fs.DurationVar(&o.duration, "duration", 0, "stop a live capture after `D` (Go duration, e.g. 30s, 5m)")
	fs.StringVarP(&o.filter, "filter", "f", "", "BPF filter `EXPR` (tcpdump syntax); also taken from trailing arguments")
	fs.StringVarP(&o.format, "format", "o", "table", "output `FMT`: table, json, ndjson, ladder, html, zeek, zeek-json, eve")
	ports := fs.StringP("ports", "p", "21", "FTP control ports, comma separated")
	fs.BoolVar(&o.showPasswords, "show-passwords", false, "show PASS arguments instead of ***")
	fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at least `LEVEL`: info, warning, error")
	fs.StringVarP(&o.write, "write", "w", "", "save FTP control and correlated data packets to `FILE` (pcapng)")
	fs.StringVarP(&o.output, "output", "O", "", "write the report to `FILE` instead of standard output")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar")
	noProgress := fs.Bool("no-progress", false, "no progress bar (same as -q)")
	fs.StringVar(&o.metrics, "metrics", "", "with -i: serve Prometheus metrics at http://`ADDR`/metrics")
	fs.BoolVar(&o.version, "version", false, "print the version")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return o, usagef("%v", err)
	}
	if *help {
		fmt.Fprint(stdout, usageHead)
		fmt.Fprint(stdout, flagUsages(fs))
		fmt.Fprintf(stdout, "\nThis build captures live packets with %s.\n", liveBackendHelp())
		fmt.Fprint(stdout, "Exit status: 0 analysed, 1 --fail-on threshold met, 2 usage error or unreadable input.\n")
		return o, errHelpShown
	}
	if o.version {
		return o, nil
	}
	o.quiet = o.quiet || *noProgress
	if rest := fs.Args(); len(rest) > 0 {
		if o.filter != "" {
			return o, usagef("a filter was given both with -f and as arguments (%q)", strings.Join(rest, " "))
		}
		o.filter = strings.Join(rest, " ")
	}
	switch o.format {
	case "table", "json", "ndjson", "ladder", "html", "zeek", "zeek-json", "eve":
	default:
		return o, usagef("unknown format %q: use table, json, ndjson, ladder, html, zeek, zeek-json or eve", o.format)
	}
	switch o.failOn {
	case "", "info", "warning", "error":
	default:
		return o, usagef("unknown --fail-on level %q: use info, warning or error", o.failOn)
	}
	p, err := parsePorts(*ports)
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
	case o.iface == "" && (o.count != 0 || o.duration != 0):
		return o, usagef("-c and --duration apply to live capture (-i) only")
	case o.count < 0:
		return o, usagef("-c must be positive, not %d", o.count)
	case o.duration < 0:
		return o, usagef("--duration must be positive, not %s", o.duration)
	}
	return o, nil
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
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		name, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" {
			if name == "stringArray" || name == "string" {
				name = "LIST"
				if f.Name == "read" {
					name = "FILE"
				} else if f.Name == "interface" {
					name = "NAME"
				}
			}
			left += " " + name
		}
		if f.DefValue != "" && f.Value.Type() != "bool" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s  %s\n", width, r.left, r.usage)
	}
	return b.String()
}
