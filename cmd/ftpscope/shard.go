package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/session"
	"github.com/spf13/pflag"
)

// A large capture is analysed on N machines by running
//
//	ftpscope -r big.pcap --shard K/N > shard-K.ndjson   (K = 0 … N-1)
//
// on each, and joined with
//
//	ftpscope merge shard-*.ndjson
//
// into the report one run gives. Each shard reads the whole capture (its
// clock, and so its decisions, are those of one run) but follows only
// the sessions of its share of client addresses (session.Config.Shards),
// and writes them as NDJSON with what the merge needs to number them and
// to draw the findings over all sessions (report.ShardHeader).

// maxShards bounds N in --shard K/N.
const maxShards = 1024

// parseShard reads --shard K/N into o and checks what goes with it.
func parseShard(o *options, v string, fs *flagSet) error {
	ks, ns, ok := strings.Cut(v, "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(ks))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return usagef("--shard takes K/N, shard K of N (K from 0 to N-1, as JOB_COMPLETION_INDEX counts), not %q", v)
	case n < 1 || n > maxShards:
		return usagef("--shard %s: N is the number of shards, from 1 to %d", v, maxShards)
	case k < 0 || k >= n:
		return usagef("--shard %s: K counts from 0, so it is 0 to %d (as JOB_COMPLETION_INDEX counts)", v, n-1)
	case o.iface != "":
		return usagef("--shard splits a capture file; a live capture runs on several cores with --workers")
	case len(o.read) != 1:
		return usagef("--shard analyses one capture file (-r FILE), which every shard reads whole")
	case o.write != "":
		return usagef("--shard writes NDJSON for 'ftpscope merge'; -w goes with a whole run")
	case fs.Changed("format") && o.format != "ndjson":
		return usagef("--shard writes NDJSON for 'ftpscope merge' (-o ndjson), not -o %s: give the format to the merge", o.format)
	case o.onlyProblems || o.session != 0:
		return usagef("--shard keeps every session, for the merge to number them: give --only-problems or --session to 'ftpscope merge'")
	}
	o.shardK, o.shardN = k, n
	o.format = "ndjson"
	return nil
}

// Formats the merge writes: those made from the sessions' JSON. The
// diagrams and the Zeek and EVE logs need each command and reply, which
// the NDJSON does not hold.
var mergeFormats = []string{"table", "summary", "json", "ndjson"}

// runMerge is 'ftpscope merge [flags] SHARD.ndjson...'.
func runMerge(ctx context.Context, args []string, e env) int {
	o, files, err := parseMergeFlags(args, e)
	if err == errHelpShown {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ftpscope merge: %v\nRun 'ftpscope merge --help' for usage.\n", err)
		return exitUsage
	}
	worst, err := merge(ctx, o, files, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "ftpscope merge: %v\n", err)
		return exitUsage
	}
	if o.failOn != "" && worst.Rank() >= session.Severity(o.failOn).Rank() {
		return exitFailOn
	}
	return exitOK
}

const mergeUsage = `Usage:
  ftpscope merge [flags] SHARD.ndjson ...

Joins the NDJSON of 'ftpscope -r FILE --shard K/N' for K = 0 to N-1 into
the report one run on FILE gives (-o table, summary, json or ndjson).

Flags:
`

// parseMergeFlags parses the merge's command line: the report flags of
// ftpscope, and the shards' files.
func parseMergeFlags(args []string, e env) (options, []string, error) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		return o, nil, usagef("%v", err)
	}
	allowed := []string{"format", "output", "time", "only-problems", "session", "fail-on", "quiet", "no-progress", "help"}
	if *fs.help {
		fmt.Fprint(e.stdout, mergeUsage)
		fs.VisitAll(func(f *pflag.Flag) {
			if !slices.Contains(allowed, f.Name) {
				f.Hidden = true
			}
		})
		fmt.Fprint(e.stdout, flagUsages(fs.FlagSet))
		return o, nil, errHelpShown
	}
	var bad []string
	fs.Visit(func(f *pflag.Flag) {
		if !slices.Contains(allowed, f.Name) {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return o, nil, usagef("%s: the shards were analysed already; merge takes -o, -O, -t, --only-problems, --session and --fail-on", strings.Join(bad, ", "))
	}
	o.formatGiven = fs.Changed("format")
	var err error
	if o.format, err = oneOf("format", o.format, mergeFormats); err != nil {
		return o, nil, err
	}
	if o.timeBase, err = oneOf("-t time base", o.timeBase, timeValues); err != nil {
		return o, nil, err
	}
	if o.failOn != "" {
		if o.failOn, err = oneOf("--fail-on level", o.failOn, levelValues); err != nil {
			return o, nil, err
		}
	}
	if fs.Changed("session") && o.session < 1 {
		return o, nil, usagef("--session takes a session number from 1 on, not %d", o.session)
	}
	files := fs.Args()
	if len(files) == 0 {
		return o, nil, usagef("no shards: give the NDJSON files of 'ftpscope --shard K/N', K = 0 to N-1")
	}
	return o, files, nil
}

// merge reads the shards, joins them and writes the report.
func merge(ctx context.Context, o options, files []string, e env) (session.Severity, error) {
	shards := make([]*report.Shard, 0, len(files))
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		sh, err := readShard(name, e)
		if err != nil {
			return "", err
		}
		shards = append(shards, sh)
	}
	r, err := joinShards(shards, files)
	if err != nil {
		return "", err
	}
	return writeMerged(o, r, e)
}

// readShard reads one shard's NDJSON; "-" is standard input.
func readShard(name string, e env) (*report.Shard, error) {
	if name == "-" {
		return report.ReadShard(e.stdin, "standard input")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return report.ReadShard(f, name)
}

// joinShards checks that the shards are the N shards of one input, once
// each, and joins them as the workers of one run are joined.
func joinShards(shards []*report.Shard, files []string) (*session.Report, error) {
	n := shards[0].Header.Of
	if n < 1 || n > maxShards {
		return nil, fmt.Errorf("%s says it is one of %d shards: not a number of shards --shard makes (1 to %d)", files[0], n, maxShards)
	}
	byIndex := make([]*report.Shard, n)
	for i, sh := range shards {
		h := sh.Header
		switch {
		case h.Of != n:
			return nil, fmt.Errorf("%s is shard %d/%d, %s shard %d/%d: shards of different runs", files[i], h.Index, h.Of, files[0], shards[0].Header.Index, n)
		case h.Index < 0 || h.Index >= n:
			return nil, fmt.Errorf("%s: shard %d/%d is out of range", files[i], h.Index, h.Of)
		case byIndex[h.Index] != nil:
			return nil, fmt.Errorf("%s: shard %d/%d given twice", files[i], h.Index, n)
		case !sameInput(sh, shards[0]):
			return nil, fmt.Errorf("%s and %s read different inputs (%s)", files[i], files[0], describeInput(sh))
		}
		byIndex[h.Index] = sh
	}
	var missing []string
	for k, sh := range byIndex {
		if sh == nil {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing shard %s: the merge needs all %d", strings.Join(missing, ", "), n)
	}
	var m session.Merger
	var begun, claimed [][]int
	var all []*session.Session
	for _, sh := range byIndex {
		begun = append(begun, sh.Header.Begun)
		claimed = append(claimed, sh.Header.Claimed)
		all = append(all, sh.Sessions...)
	}
	m.Begun(begun, claimed)
	ended := m.Ended(all)
	parts := make([]*session.Report, n)
	for k, sh := range byIndex {
		parts[k] = &session.Report{Findings: sh.Findings, Stats: sh.Stats}
	}
	parts[0].Sessions = ended
	first := byIndex[0]
	r := m.ReportOf(parts, first.Sources, first.Stats.Packets, first.Stats.Bytes)
	// The analysis took as long as the slowest shard.
	r.Stats.ElapsedMS = 0
	for _, sh := range byIndex {
		r.Stats.ElapsedMS = max(r.Stats.ElapsedMS, sh.Stats.ElapsedMS)
	}
	return r, nil
}

// sameInput reports whether two shards read the same input: the same
// sources, packets and bytes.
func sameInput(a, b *report.Shard) bool {
	if a.Stats.Packets != b.Stats.Packets || a.Stats.Bytes != b.Stats.Bytes || len(a.Sources) != len(b.Sources) {
		return false
	}
	for i := range a.Sources {
		if a.Sources[i].Name != b.Sources[i].Name || a.Sources[i].Packets != b.Sources[i].Packets {
			return false
		}
	}
	return true
}

func describeInput(sh *report.Shard) string {
	var names []string
	for _, s := range sh.Sources {
		names = append(names, s.Name)
	}
	return fmt.Sprintf("%s, %d packets", strings.Join(names, ", "), sh.Stats.Packets)
}

// writeMerged writes the merged report as the run on the whole input
// would have: NDJSON sessions in the order they ended.
func writeMerged(o options, r *session.Report, e env) (session.Severity, error) {
	out, closeOut, err := openOutput(o, e, output{w: e.stdout, tty: e.stdoutTTY, width: e.width})
	if err != nil {
		return "", err
	}
	defer closeOut()
	sel := report.Selection{OnlyProblems: o.onlyProblems, Session: o.session}
	r = sel.Apply(r)
	if o.session != 0 && len(r.Sessions) == 0 {
		return "", fmt.Errorf("no session %d: the input has %s, numbered from 1", o.session,
			plural(r.Stats.FTPSessions, "FTP session", "FTP sessions"))
	}
	worst := r.Worst()
	if o.format == "ndjson" {
		nd := report.NewNDJSON(out.w)
		ended := slices.Clone(r.Sessions)
		session.EndOrder(ended)
		for _, s := range ended {
			if err := nd.Session(s); err != nil {
				return worst, fmt.Errorf("writing the report: %w", err)
			}
		}
		rest := *r
		rest.Sessions = []*session.Session{}
		err = nd.End(&rest)
	} else {
		err = render(out, r, o, nil, nil)
	}
	if err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	if err := closeOut(); err != nil {
		return worst, fmt.Errorf("writing the report: %w", err)
	}
	return worst, nil
}
