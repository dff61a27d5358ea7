package main

import (
	"io"
	"net"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// manDescription is the DESCRIPTION of the man page, in Markdown.
const manDescription = `ftpscope reads a packet capture (pcap, pcapng, gzip-compressed or standard
input) or sniffs a live interface, reassembles every FTP control connection,
decodes each announcement of a data connection (PORT, EPRT, LPRT, PASV, EPSV,
LPSV: RFC 959, RFC 2428, RFC 1639), finds the data connection actually seen,
and explains in plain words why a transfer broke at a firewall or NAT.

The default output is a table of sessions, a table of data channels and the
findings of each session; past 50 sessions it is a summary and the sessions
that are not OK. The text formats fit the terminal (COLUMNS, else the
terminal's width, else 80 columns) and write times in the local zone (TZ);
JSON writes RFC 3339 times in UTC.

A live capture prints tcpdump's "listening on" line on standard error and,
when standard error is a terminal, a status line about once a second;
Ctrl-C (SIGINT or SIGTERM) ends it and prints the full report. With -o
ndjson, a session's line is written when the session ends (5 seconds after
its control connection closed, or after 5 minutes without a packet), the
rest when the capture ends.

Reports go to standard output (standard error with -w -); progress,
warnings and errors to standard error. Exit status: 0 analysed, 1 the
--fail-on threshold was met, 2 a usage error or an input that could not be
read at all.

The JSON report is documented in docs/json.md and docs/report.schema.json,
the finding codes in docs/findings.md.`

// bpfWords are the filter keywords completed after the flags.
var bpfWords = []string{"host", "net", "port", "portrange", "src", "dst", "tcp", "udp", "icmp", "icmp6",
	"ip", "ip6", "vlan", "and", "or", "not"}

// cobraCommand wraps the command line's flag set in a cobra.Command. It
// runs nothing: it is there for cobra's man page and shell completion
// generators (docs/, TestGeneratedDocs) and to answer the completion
// scripts' __complete requests, so that all three follow the flags as
// newFlagSet defines them.
func cobraCommand(stdout, stderr io.Writer) *cobra.Command {
	var o options
	fs := newFlagSet(&o)
	examples := usageHead[strings.Index(usageHead, "Examples:\n")+len("Examples:\n") : strings.Index(usageHead, "\nFlags:")]
	cmd := &cobra.Command{
		Use:                   "ftpscope [flags] [BPF filter expression ...]",
		Short:                 "explain FTP traffic and why data connections fail at firewalls and NAT",
		Long:                  manDescription,
		Example:               strings.TrimRight(examples, "\n"),
		DisableFlagsInUseLine: true,
		DisableAutoGenTag:     true,
		SilenceUsage:          true,
		SilenceErrors:         true,
		Run:                   func(*cobra.Command, []string) {},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return bpfWords, cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.Flags().AddFlagSet(fs.FlagSet)
	fixed := func(vs ...string) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return cobra.FixedCompletions(vs, cobra.ShellCompDirectiveNoFileComp)
	}
	none := fixed()
	completions := map[string]func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective){
		"format":   fixed(formatValues...),
		"time":     fixed(timeValues...),
		"fail-on":  fixed(levelValues...),
		"ports":    fixed("21", "21,2121", "21,990"),
		"count":    none,
		"duration": fixed("30s", "5m", "1h"),
		"session":  none,
		"filter":   fixed(bpfWords...),
		"read": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []string{"pcap", "pcapng", "cap", "gz"}, cobra.ShellCompDirectiveFilterFileExt
		},
		"interface": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			names := []string{"any"}
			if ifs, err := net.Interfaces(); err == nil {
				for _, i := range ifs {
					names = append(names, i.Name)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
	for name, fn := range completions {
		if err := cmd.RegisterFlagCompletionFunc(name, fn); err != nil {
			panic(err) // a flag renamed without its completion: TestGeneratedDocs fails first
		}
	}
	return cmd
}

// isCompletionRequest reports whether args are a completion script asking
// for completions (cobra's hidden __complete command).
func isCompletionRequest(args []string) bool {
	return len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd)
}

// complete answers a completion script's request.
func complete(args []string, e env) int {
	cmd := cobraCommand(e.stdout, e.stderr)
	// The descriptions shown beside the flags: no backquotes around the
	// value names that --help and the man page use.
	cmd.Flags().VisitAll(func(f *pflag.Flag) { f.Usage = strings.ReplaceAll(f.Usage, "`", "") })
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		return exitUsage
	}
	return exitOK
}
