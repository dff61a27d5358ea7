package report

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
)

// pageStyle is the page's only style sheet. Colours of connection
// states: established green, unanswered red, refused orange, unreachable
// purple, reset brown, not seen grey.
const pageStyle = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff;max-width:1010px;margin:0 auto;padding:12px 20px 40px}
h1{font-size:22px;margin:8px 0 4px}
h2{font-size:18px;margin:26px 0 8px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:14px 0 6px}
p,li,td{overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table.channels td,table.listed td{overflow-wrap:normal}
td.mono,td.nowrap{white-space:nowrap}
p{margin:3px 0}
code,pre,.mono,svg.seq text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
code,.mono{font-size:12.5px}
pre.rule{margin:3px 0 3px 16px;padding:4px 8px;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;font-size:12.5px;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
summary{cursor:pointer}
summary h2{display:inline-block;border:0;margin:18px 0 8px}
.source-error{color:#cf222e}
.verdicts .count{display:inline-block;margin-right:10px;padding:2px 10px;border-radius:12px;color:#fff;font-size:15px}
.v-failed.count,.pill.v-failed{background:#cf222e}
.v-warning.count,.pill.v-warning{background:#9a6700}
.v-ok.count,.pill.v-ok{background:#1a7f37}
.pill{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;vertical-align:2px}
.session{border:1px solid #d0d7de;border-left:6px solid #1a7f37;border-radius:6px;padding:8px 14px;margin:14px 0;background:#fff}
.session.v-failed{border-left-color:#cf222e}
.session.v-warning{border-left-color:#bf8700}
.session h3{margin:2px 0 4px}
.src{font-weight:400;color:#57606a}
.verdict{font-weight:600}
.session.v-failed .verdict{color:#cf222e}
.session.v-warning .verdict{color:#9a6700}
.session.v-ok .verdict{color:#1a7f37}
.facts{color:#57606a}
.finding{margin:6px 0;padding:4px 10px;border-left:4px solid #8c959f;background:#f6f8fa;border-radius:0 4px 4px 0}
.finding.sev-error{border-left-color:#cf222e}
.finding.sev-warning{border-left-color:#bf8700}
.finding.sev-info{border-left-color:#0969da}
.sev{font-weight:700;text-transform:uppercase;font-size:11px;letter-spacing:.04em}
.sev-error .sev,td.sev-error{color:#cf222e}
.sev-warning .sev,td.sev-warning{color:#9a6700}
.sev-info .sev,td.sev-info{color:#0969da}
.where{color:#57606a}
.detail{white-space:pre-wrap}
.evidence{margin:2px 0 2px 4px;padding-left:16px;font-size:13px}
figure.diagram{margin:10px 0;overflow-x:auto}
svg.seq{display:block;max-width:100%;height:auto;color:#24292f}
svg.seq text{font-size:12px;fill:currentColor}
svg.seq .role{font:700 13px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;letter-spacing:.06em}
svg.seq .gutter,svg.seq .pkt,svg.seq .time{fill:#57606a}
svg.seq .gutter{font-style:italic}
svg.seq .lifeline{stroke:#57606a;stroke-width:2}
svg.seq line{stroke:currentColor;stroke-width:1.3}
svg.seq .head,svg.seq .dot{fill:currentColor}
svg.seq .data line{stroke-width:3}
svg.seq .icmp line,svg.seq .missing line{stroke-width:2;stroke-dasharray:6 4}
svg.seq .cross{fill:none;stroke:currentColor;stroke-width:3;stroke-linecap:round}
svg.seq .wave{fill:none;stroke:currentColor;stroke-width:1.5}
svg.seq .port{font-size:11px;font-weight:700}
svg.seq .note text{font-style:italic}
svg.seq g.gap{color:#bf8700}
.st-established{color:#1a7f37}
.st-unanswered{color:#cf222e}
.st-refused{color:#bc4c00}
.st-unreachable{color:#8250df}
.st-reset{color:#953800}
.st-missing,.st-other{color:#6e7781}
td.st-established,td.st-unanswered,td.st-refused,td.st-unreachable,td.st-reset,td.st-missing{font-weight:600;white-space:nowrap}
.legend{list-style:none;padding:0;margin:4px 0;columns:2;font-size:13px}
.legend li{margin:2px 0}
.legend svg{display:inline-block;vertical-align:middle;margin-right:6px}
.listed td{font-size:12.5px}
.listed tr.v-failed td:nth-child(2){color:#cf222e;font-weight:600}
.listed tr.v-warning td:nth-child(2){color:#9a6700;font-weight:600}
@media print{body{max-width:none}.session{break-inside:avoid}}
`

// contentPolicy forbids the page every script, plug-in, frame, font,
// image and request, and allows its one style sheet by its hash: should
// markup from a capture ever reach the page, it could not run or call
// home.
var contentPolicy = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'"
}()

// pageTemplate renders a page. html/template escapes every value for the
// context it stands in (text, attribute, the RCDATA of a title), so text
// from a capture never becomes markup.
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ftpscope">
<title>{{.Title}}</title>
<style>{{.Style}}</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
{{range .Sources}}<p class="source"><b class="mono">{{.Name}}</b>: {{.Facts}}</p>
{{range .Errors}}<p class="source-error">{{.}}</p>
{{end}}{{end}}<p class="totals">{{.Totals}}</p>
</header>
<section id="summary">
<h2>Summary</h2>
<p class="verdicts">{{range .Verdicts}}<span class="count v-{{.Verdict}}" data-verdict="{{.Verdict}}"><b>{{.Count}}</b> {{.Label}}</span>{{end}}</p>
{{if .Codes}}<h3>Findings by code</h3>
<table class="codes"><thead><tr><th>code<th>severity<th>findings<th>sessions</thead><tbody>
{{range .Codes}}<tr data-code="{{.Code}}"><td><code>{{.Code}}</code><td class="sev-{{.Severity}}">{{.Severity}}<td>{{.Count}}<td>{{.Sessions}}
{{end}}</tbody></table>
{{else}}<p>No findings.</p>
{{end}}{{if .Servers}}<h3>Servers</h3>
<table class="servers"><thead><tr><th>server<th>sessions<th>failed<th>warning<th>ok<th>modes<th>active / passive data channels</thead><tbody>
{{range .Servers}}<tr><td class="mono">{{.Server}}<td>{{.Sessions}}<td>{{.Failed}}<td>{{.Warning}}<td>{{.OK}}<td>{{.Modes}}<td>{{.ActiveChannels}} / {{.PassiveChannels}}
{{end}}</tbody></table>
{{if .ServersMore}}<p>… and {{.ServersMore}} more servers.</p>
{{end}}{{end}}{{if .Sessions}}<h3>Passive ports and firewall rules</h3>
{{if .PortRangeFindings}}{{range .PortRangeFindings}}{{template "finding" .}}{{end}}
{{- else if .Ranges}}<p>In passive mode the client opens the data connection to a port the server announced (227, 228, 229), so a firewall in front of the server must let new connections reach those ports. These are the ports the servers announced in this capture; the range a server is configured with (vsftpd <code>pasv_min_port</code>/<code>pasv_max_port</code>, ProFTPD <code>PassivePorts</code>, pure-ftpd <code>-p</code>) may be wider, and that is the one to allow. The rules are for the server's own host; on a firewall in front of it, use the forward chain (<code>FORWARD</code>) and the address clients connect to.</p>
{{range .Ranges}}<div class="range"><p>server <b class="mono">{{.Server}}</b>: ports <b class="mono">{{.Ports}}</b> ({{.Count}}){{if .Announced}}; the announcements named {{.Announced}}{{end}}</p>
<pre class="rule">{{.Nft}}</pre>
<pre class="rule">{{.Iptables}}</pre>
</div>
{{end}}{{if .RangesMore}}<p>… and {{.RangesMore}} more servers.</p>
{{end}}{{else}}<p>No server announced a passive port in this capture.</p>
{{end}}{{end}}{{if .Global}}<h3>Findings about no single session</h3>
{{range .Global}}{{template "finding" .}}{{end}}{{end}}{{if .Sessions}}<h3>How to read the diagrams</h3>
{{template "legend"}}
{{end}}{{if .Undrawn}}<p>{{.Undrawn}} sessions are listed one line each without a diagram, to keep this page small. To draw one, analyse the capture again with a filter for its client, e.g. <code>ftpscope -r FILE -o html host CLIENT-ADDRESS</code>.</p>
{{end}}</section>
{{if .Problems.Count}}<section id="problems">
<h2>Sessions with problems ({{.Problems.Count}})</h2>
{{range .Problems.Cards}}{{template "card" .}}{{end}}{{template "listed" .Problems}}</section>
{{end}}{{if .Healthy.Count}}<section id="healthy">
<details{{if .HealthyOpen}} open{{end}}><summary><h2>Healthy sessions ({{.Healthy.Count}})</h2></summary>
{{range .Healthy.Cards}}{{template "card" .}}{{end}}{{template "listed" .Healthy}}</details>
</section>
{{end}}{{if not .Sessions}}<p>No FTP session found.</p>
{{end}}</body>
</html>
{{define "finding"}}<div class="finding sev-{{.Severity}}" data-code="{{.Code}}">
<p class="what"><span class="sev">{{.Severity}}</span> <code>{{.Code}}</code>{{if .Where}} <span class="where">({{.Where}})</span>{{end}}{{if .Summary}}: {{.Summary}}{{end}}</p>
{{if .Detail}}<p class="detail">{{.Detail}}</p>
{{end}}{{if .Evidence}}<ul class="evidence">{{range .Evidence}}<li>{{if .Packet}}packet <b>{{.Packet}}</b>: {{end}}{{.What}}</li>{{end}}</ul>
{{end}}</div>
{{end -}}
{{define "card"}}<article class="session v-{{.Verdict}}" id="s{{.ID}}" data-session="{{.ID}}" data-verdict="{{.Verdict}}">
<h3><span class="pill v-{{.Verdict}}">{{.Verdict}}</span> Session {{.ID}}{{if .Source}} <span class="src">· {{.Source}}</span>{{end}}</h3>
<p class="endpoints">client <b class="mono">{{.Client}}</b> → server <b class="mono">{{.Server}}</b></p>
<p class="verdict">{{.Text}}</p>
<p class="facts">{{.Facts}}</p>
{{range .Findings}}{{template "finding" .}}{{end}}{{with .Diagram}}{{template "diagram" .}}{{end}}{{if .Channels}}<div class="scroll"><table class="channels"><thead><tr><th>#<th>setup<th>announced<th>expected initiator<th>seen: initiator → responder<th>state<th>SYN<th>bytes<th>transfer<th>reply</thead><tbody>
{{range .Channels}}<tr data-channel="{{.ID}}"><td>{{.ID}}<td class="nowrap">{{.Setup}}<td class="mono">{{.Announced}}<td>{{.Expected}}<td class="mono">{{.Seen}}<td class="st-{{.State}}">{{.StateText}}<td class="nowrap">{{.SYN}}<td class="nowrap">{{.Bytes}}<td>{{.Transfer}}<td>{{.Reply}}
{{end}}</tbody></table></div>
{{end}}</article>
{{end -}}
{{define "listed"}}{{if .Listed}}<details class="listed"{{if .ListedOpen}} open{{end}}><summary>{{len .Listed}} more sessions, one line each</summary>
<div class="scroll"><table class="listed"><thead><tr><th>#<th>verdict<th>client<th>server<th>user<th>mode<th>start (UTC)<th>what happened</thead><tbody>
{{range .Listed}}<tr id="s{{.ID}}" class="v-{{.Verdict}}"><td>{{.ID}}<td>{{.Verdict}}<td>{{.Client}}<td>{{.Server}}<td>{{.User}}<td>{{.Mode}}<td>{{.Start}}<td>{{.Text}}
{{end}}</tbody></table></div>
</details>
{{end}}{{end -}}
{{define "diagram"}}<figure class="diagram">
<svg class="seq" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Label}}">
<g class="end client"><text class="role" x="{{.ClientX}}" y="16" text-anchor="middle">{{.Client.Role}}</text><text x="{{.ClientX}}" y="33" text-anchor="middle">{{.Client.Host}}</text><text x="{{.ClientX}}" y="50" text-anchor="middle">{{.Client.Port}}</text></g>
<g class="end server"><text class="role" x="{{.ServerX}}" y="16" text-anchor="middle">{{.Server.Role}}</text><text x="{{.ServerX}}" y="33" text-anchor="middle">{{.Server.Host}}</text><text x="{{.ServerX}}" y="50" text-anchor="middle">{{.Server.Port}}</text></g>
<text class="gutter" x="{{.PktX}}" y="50" text-anchor="end">pkt</text><text class="gutter" x="{{.TimeX}}" y="50" text-anchor="end">time (s)</text>
<line class="lifeline client" x1="{{.ClientX}}" y1="{{.Top}}" x2="{{.ClientX}}" y2="{{.Bottom}}"/>
<line class="lifeline server" x1="{{.ServerX}}" y1="{{.Top}}" x2="{{.ServerX}}" y2="{{.Bottom}}"/>
{{if .NoEvents}}<text class="gutter" x="{{.ClientX}}" dx="14" y="{{.NoEventsY}}">no control lines recorded: only the data connections are drawn</text>
{{end}}{{range .Rows}}<g class="{{.Class}}" data-kind="{{.Kind}}"{{if .Channel}} data-channel="{{.Channel}}" data-state="{{.State}}"{{end}}{{if .Pkt}} data-pkt="{{.Pkt}}"{{end}}>
{{- if .Title}}<title>{{.Title}}</title>{{end}}
{{- if .Pkt}}<text class="pkt" x="{{$.PktX}}" y="{{.NumY}}" text-anchor="end">{{.Pkt}}</text>{{end}}
{{- if .Time}}<text class="time" x="{{$.TimeX}}" y="{{.NumY}}" text-anchor="end">{{.Time}}</text>{{end}}
{{- with .Line}}<line x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}"/>{{end}}
{{- if .Head}}<path class="head" d="{{.Head}}"/>{{end}}
{{- if .Wave}}<path class="wave" d="{{.Wave}}"/>{{end}}
{{- with .Dot}}<circle class="dot" cx="{{.X}}" cy="{{.Y}}" r="4"/>{{end}}
{{- if .Cross}}<path class="cross" d="{{.Cross}}"/>{{end}}
{{- if .Label}}<text class="label" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="{{.Anchor}}">{{.Label}}</text>{{end}}
{{- range .Ports}}<text class="port" x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}">{{.Text}}</text>{{end -}}
</g>
{{end}}{{if .Cut}}<text class="gutter" x="{{.ClientX}}" dx="14" y="{{.CutY}}">… {{.Cut}} more rows left out; -o ladder draws them all</text>
{{end}}</svg>
</figure>
{{end -}}
{{define "legend"}}<ul class="legend">
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="control"><line x1="2" y1="7" x2="54" y2="7"/><path class="head" d="M62 7L53 3L53 11Z"/></g></svg>a command or a reply on the control connection</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="syn data st-established"><line x1="2" y1="7" x2="54" y2="7"/><path class="head" d="M62 7L53 3L53 11Z"/></g></svg>data connection established (SYN, then SYN-ACK back)</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="syn data st-unanswered"><line x1="2" y1="7" x2="44" y2="7"/><path class="cross" d="M38 1L50 13M50 1L38 13"/></g></svg>SYN never answered (dropped on the way)</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="rst data st-refused"><line x1="10" y1="7" x2="62" y2="7"/><path class="head" d="M2 7L11 3L11 11Z"/></g></svg>refused: the SYN was answered with RST</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="icmp data st-unreachable"><line x1="10" y1="7" x2="56" y2="7"/><path class="head" d="M2 7L11 3L11 11Z"/><circle class="dot" cx="58" cy="7" r="4"/></g></svg>unreachable: an ICMP error came back</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="syn data st-reset"><line x1="2" y1="7" x2="54" y2="7"/><path class="head" d="M62 7L53 3L53 11Z"/></g></svg>reset after it was established</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="missing data st-missing"><line x1="2" y1="7" x2="54" y2="7"/><path class="head" d="M62 7L53 3L53 11Z"/></g></svg>announced, but no connection seen</li>
<li><svg class="seq" width="64" height="14" viewBox="0 0 64 14"><g class="gap"><path class="wave" d="M2 7L8 3L14 11L20 3L26 11L32 3L38 11L44 3L50 11L56 3L62 7"/></g></svg>control bytes missing from the capture</li>
</ul>
<p>Arrows point the way the packet went; a data connection's arrow starts at the side that sent its SYN, with each side's port at its end. A cross marks where a connection failed. Packet numbers are the frame numbers Wireshark shows; times are seconds since the session's first packet.</p>
{{end}}`
