package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// The parts of the JSON report (CONTRACT.md) that are checked.
type (
	report struct {
		Sources  []source          `json:"sources"`
		Sessions []session         `json:"sessions"`
		Findings []json.RawMessage `json:"findings"`
		Stats    struct {
			FTPSessions  int `json:"ftp_sessions"`
			DataChannels int `json:"data_channels"`
		} `json:"stats"`
	}
	source struct {
		Name   string   `json:"name"`
		Errors []string `json:"errors"`
	}
	session struct {
		ID           int               `json:"id"`
		User         *string           `json:"user"`
		Mode         string            `json:"mode"`
		Commands     int               `json:"commands"`
		ControlGaps  int64             `json:"control_gaps"`
		DataChannels []channel         `json:"data_channels"`
		Findings     []json.RawMessage `json:"findings"`
	}
	channel struct {
		SetupCommand  string            `json:"setup_command"`
		SetupReply    *int              `json:"setup_reply"`
		Observed      *observed         `json:"observed"`
		TransferReply *int              `json:"transfer_reply"`
		Findings      []json.RawMessage `json:"findings"`
	}
	observed struct {
		State         string `json:"state"`
		Established   bool   `json:"established"`
		Closed        bool   `json:"closed"`
		BytesToClient int64  `json:"bytes_to_client"`
	}
)

// Bounds of the files the big capture's sessions retrieve.
const minFile, maxFile = 7 * 1024, 9 * 1024

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "checkreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("checkreport", flag.ContinueOnError)
	passive := fs.Int("passive", -1, "passive sessions the capture holds (required)")
	active := fs.Int("active", -1, "active sessions the capture holds (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *passive < 0 || *active < 0 {
		return errors.New("-passive and -active are required")
	}
	var r report
	if err := json.NewDecoder(stdin).Decode(&r); err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	problems := check(&r, *passive, *active)
	for i, p := range problems {
		if i == 10 {
			fmt.Fprintf(stdout, "... and %d more\n", len(problems)-i)
			break
		}
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems in the report", len(problems))
	}
	_, err := fmt.Fprintf(stdout, "report ok: %d sessions (%d passive, %d active), %d data channels established, no finding\n",
		len(r.Sessions), *passive, *active, r.Stats.DataChannels)
	return err
}

// check returns what is wrong with r, a report of a capture holding
// passive and active sessions.
func check(r *report, passive, active int) []string {
	var bad []string
	add := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	want := passive + active
	if len(r.Sessions) != want || r.Stats.FTPSessions != want {
		add("sessions: %d in the list, %d in stats; want %d", len(r.Sessions), r.Stats.FTPSessions, want)
	}
	if r.Stats.DataChannels != want {
		add("stats.data_channels = %d, want %d", r.Stats.DataChannels, want)
	}
	for _, f := range r.Findings {
		// Every server's passive ports are stated (information).
		var x struct {
			Code string `json:"code"`
		}
		if err := json.Unmarshal(f, &x); err != nil || x.Code != "passive-port-range" {
			add("a global finding other than passive-port-range: %s", f)
			break
		}
	}
	for _, s := range r.Sources {
		if len(s.Errors) > 0 {
			add("source %s: %d errors, the first: %s", s.Name, len(s.Errors), s.Errors[0])
		}
	}
	modes := map[string]int{}
	for _, s := range r.Sessions {
		modes[s.Mode]++
		if s.User == nil || s.Commands != 7 || s.ControlGaps != 0 || len(s.Findings) > 0 {
			add("session %d: user %v, %d commands (want 7), %d gap bytes, %d findings", s.ID, s.User != nil, s.Commands, s.ControlGaps, len(s.Findings))
		}
		if len(s.DataChannels) != 1 {
			add("session %d: %d data channels, want 1", s.ID, len(s.DataChannels))
			continue
		}
		if msg := checkChannel(s.Mode, s.DataChannels[0]); msg != "" {
			add("session %d: %s", s.ID, msg)
		}
	}
	if modes["passive"] != passive || modes["active"] != active {
		add("modes: %v; want %d passive and %d active", modes, passive, active)
	}
	return bad
}

// checkChannel says what is wrong with the one data channel of a session in
// mode, or returns "".
func checkChannel(mode string, c channel) string {
	setup, reply := "PASV", 227
	if mode == "active" {
		setup, reply = "PORT", 200
	}
	switch {
	case c.SetupCommand != setup || c.SetupReply == nil || *c.SetupReply != reply:
		return fmt.Sprintf("setup %s answered %v, want %s answered %d", c.SetupCommand, deref(c.SetupReply), setup, reply)
	case c.Observed == nil:
		return "no data connection observed"
	case c.Observed.State != "established" || !c.Observed.Established || !c.Observed.Closed:
		return fmt.Sprintf("data connection %s (established %t, closed %t)", c.Observed.State, c.Observed.Established, c.Observed.Closed)
	case c.Observed.BytesToClient < minFile || c.Observed.BytesToClient >= maxFile:
		return fmt.Sprintf("%d bytes to the client, want %d to %d", c.Observed.BytesToClient, minFile, maxFile-1)
	case c.TransferReply == nil || *c.TransferReply != 226:
		return fmt.Sprintf("transfer reply %v, want 226", deref(c.TransferReply))
	case len(c.Findings) > 0:
		return fmt.Sprintf("%d data channel findings, the first: %s", len(c.Findings), c.Findings[0])
	}
	return ""
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
