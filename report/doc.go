// Package report renders a [session.Report] for people and for programs.
//
// # Formats
//
//   - [WriteJSON]: one indented JSON document, exactly the contract of
//     CONTRACT.md: every absent fact is null, every empty list is [].
//   - [NDJSON]: the same objects streamed one per line, each with a "type"
//     key ("source", "session", "finding", "stats"), written as the
//     analysis produces them.
//   - [WriteTable]: a short line per input, a table of sessions, a table of
//     data channels, then a verdict and the findings of each session.
//   - [WriteLadder]: a text sequence diagram per session, in the spirit of
//     the textbook figures of active and passive FTP: the control dialogue
//     as arrows between a CLIENT and a SERVER column, and each data
//     connection drawn in the direction its SYN actually went.
//   - [WriteHTML]: one self-contained HTML page to send or attach to a
//     ticket: a summary (verdicts, finding codes, servers, passive port
//     ranges with firewall rules), then per session its verdict, its
//     findings in words and the ladder drawn as an SVG sequence diagram
//     from the same rows, the sessions with problems first.
//   - [Verdict]: the one-line judgement of a session.
//
// # Hostile text
//
// Everything a capture controls (user names, file names, reply texts,
// finding summaries that quote them) is passed through an escaper before it
// reaches the table or the ladder: control characters, invalid UTF-8 and
// invisible formatting characters are written as \x1b, \u202e and the like,
// so a capture cannot send escape sequences to the terminal. JSON output is
// escaped by encoding/json; HTML is cleaned as for the terminal, then
// escaped by html/template for the context it stands in, and the page's
// Content-Security-Policy allows no script at all. Colour is used only
// when [Options.Color] says so.
//
// # What it does not do
//
// The package only renders: it draws no conclusions of its own beyond the
// verdict, which is derived from the findings the analyser made. It never
// mutates the report it is given, never prints on its own and keeps no
// state between calls.
package report
