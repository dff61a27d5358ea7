package session

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The passive ports a server announces across all the sessions of the
// input are a sample of its configured passive range, which a firewall in
// front of it must open (passive-port-range). Sessions are counted as
// they end, so that the finding holds when they are streamed and
// forgotten.

// Bounds of the passive-port tracker.
const (
	maxRangeServers = 4096 // servers followed (8 KiB each at most)
	maxRangeOthers  = 4    // announced addresses other than the server's, kept per server
	// maxBannerLen bounds the greeting kept per session and per server.
	maxBannerLen = 200
	// wideRange is the span of announced ports past which a server seems
	// to take any free port rather than a configured range.
	wideRange = 5000
)

// rangeTracker collects the passive ports each server announced.
type rangeTracker struct {
	servers map[netip.AddrPort]*serverPorts
	dropped int // servers not followed (maxRangeServers)
}

// serverPorts is what is known of the passive ports of one server.
type serverPorts struct {
	server netip.AddrPort
	// few holds the distinct ports announced, in order, until there are
	// maxFewPorts; then many, a bitmap, holds them.
	few                     []uint16
	many                    *[1024]uint64
	distinct                int
	lo, hi                  uint16
	announcements, sessions int
	lowest, highest         announcement // an announcement of lo and of hi
	banner                  string       // the first greeting seen
	others                  []netip.Addr
}

// maxFewPorts is how many distinct ports a server's record keeps in a
// list before it takes a bitmap of 8 KiB.
const maxFewPorts = 64

// announcement is one passive announcement, for evidence.
type announcement struct {
	session, packet, reply int
	time                   Time
}

// add notes port as announced, and reports whether it is new.
func (p *serverPorts) add(port uint16) bool {
	if p.many != nil {
		w, bit := port/64, uint64(1)<<(port%64)
		if p.many[w]&bit != 0 {
			return false
		}
		p.many[w] |= bit
		return true
	}
	i, found := slices.BinarySearch(p.few, port)
	if found {
		return false
	}
	if len(p.few) < maxFewPorts {
		p.few = slices.Insert(p.few, i, port)
		return true
	}
	p.many = new([1024]uint64)
	for _, q := range append(p.few, port) {
		p.many[q/64] |= uint64(1) << (q % 64)
	}
	p.few = nil
	return true
}

// ended notes the passive announcements of a session that ended.
func (r *rangeTracker) ended(s *Session) {
	var p *serverPorts
	for _, d := range s.DataChannels {
		if d.Mode != ModePassive || d.Announced == nil {
			continue
		}
		ann := *d.Announced
		if p == nil {
			if p = r.server(s.Server); p == nil {
				return
			}
			p.sessions++
			if p.banner == "" {
				p.banner = s.Banner
			}
		}
		port := ann.Port()
		first := p.announcements == 0
		if first || port < p.lo {
			p.lo, p.lowest = port, announcement{s.ID, d.AnnouncePacket, deref(d.SetupReply), d.AnnounceTime}
		}
		if first || port > p.hi {
			p.hi, p.highest = port, announcement{s.ID, d.AnnouncePacket, deref(d.SetupReply), d.AnnounceTime}
		}
		p.announcements++
		if p.add(port) {
			p.distinct++
		}
		if a := ann.Addr(); a != s.Server.Addr() && len(p.others) < maxRangeOthers && !slices.Contains(p.others, a) {
			p.others = append(p.others, a)
		}
	}
}

// server returns the record of a server, making it; nil at the limit.
func (r *rangeTracker) server(ap netip.AddrPort) *serverPorts {
	if p := r.servers[ap]; p != nil {
		return p
	}
	if len(r.servers) >= maxRangeServers {
		r.dropped++
		return nil
	}
	if r.servers == nil {
		r.servers = make(map[netip.AddrPort]*serverPorts)
	}
	p := &serverPorts{server: ap}
	r.servers[ap] = p
	return p
}

// findings returns a passive-port-range finding per server, in the order
// of their addresses.
func (r *rangeTracker) findings() []Finding {
	servers := make([]*serverPorts, 0, len(r.servers))
	for _, p := range r.servers {
		servers = append(servers, p)
	}
	slices.SortFunc(servers, func(a, b *serverPorts) int { return a.server.Compare(b.server) })
	out := make([]Finding, 0, len(servers))
	for _, p := range servers {
		out = append(out, p.finding())
	}
	return out
}

// roundRange is the nearest round range that holds lo-hi: to hundreds for
// a span under a thousand, to thousands under ten thousand, else lo-hi.
func roundRange(lo, hi uint16) (uint16, uint16) {
	span := int(hi) - int(lo)
	unit := 0
	switch {
	case span < 1000:
		unit = 100
	case span < 10000:
		unit = 1000
	default:
		return lo, hi
	}
	l := int(lo) / unit * unit
	h := (int(hi) + unit - 1) / unit * unit
	if h == l {
		h += unit
	}
	if l < 1024 && lo >= 1024 {
		l = 1024
	}
	return uint16(l), uint16(min(h, 65535))
}

// portSpan writes lo-hi, or lo alone.
func portSpan(lo, hi uint16, dash string) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d%s%d", lo, dash, hi)
}

// serverSetting names the setting of the server the banner names that
// sets its passive range to lo-hi; "" when the banner names none known.
func serverSetting(banner string, lo, hi uint16) string {
	b := strings.ToLower(banner)
	switch {
	case strings.Contains(b, "vsftpd"):
		return fmt.Sprintf("vsftpd: pasv_min_port=%d and pasv_max_port=%d in vsftpd.conf", lo, hi)
	case strings.Contains(b, "proftpd"):
		return fmt.Sprintf("ProFTPD: PassivePorts %d %d in proftpd.conf", lo, hi)
	case strings.Contains(b, "pure-ftpd"):
		return fmt.Sprintf("Pure-FTPd: -p %d:%d (PassivePortRange %d %d in pure-ftpd.conf)", lo, hi, lo, hi)
	case strings.Contains(b, "filezilla"):
		return fmt.Sprintf("FileZilla Server: a custom port range %d-%d in its passive mode settings", lo, hi)
	case strings.Contains(b, "microsoft ftp"):
		return fmt.Sprintf("IIS: the data channel port range %d-%d in the FTP Firewall Support feature", lo, hi)
	}
	return ""
}

// rangeRules writes an nftables and an iptables rule that accept new TCP
// connections to server's control port and to the ports lo-hi.
func rangeRules(server netip.AddrPort, lo, hi uint16) (nft, ipt string) {
	family, iptables := "ip", "iptables"
	if server.Addr().Is6() {
		family, iptables = "ip6", "ip6tables"
	}
	nft = fmt.Sprintf("nft add rule inet filter input %s daddr %s tcp dport { %d, %s } ct state new accept",
		family, server.Addr(), server.Port(), portSpan(lo, hi, "-"))
	ipt = fmt.Sprintf("%s -A INPUT -p tcp -d %s -m multiport --dports %d,%s -m conntrack --ctstate NEW -j ACCEPT",
		iptables, server.Addr(), server.Port(), portSpan(lo, hi, ":"))
	return nft, ipt
}

func (p *serverPorts) finding() Finding {
	lo, hi := roundRange(p.lo, p.hi)
	wide := int(p.hi)-int(p.lo) > wideRange
	seen := fmt.Sprintf("port %d (in %s)", p.lo, plural(p.sessions, "session", "sessions"))
	if p.announcements > 1 {
		seen = fmt.Sprintf("ports %s (%s, %s in %s)", portSpan(p.lo, p.hi, "–"), plural(p.distinct, "distinct port", "distinct ports"),
			plural(p.announcements, "announcement", "announcements"), plural(p.sessions, "session", "sessions"))
	}
	summary := fmt.Sprintf("Server %s announced passive %s: a firewall in front of it must let clients reach %s on port %d and on its passive range (%s holds the ports seen).",
		p.server, seen, p.server.Addr(), p.server.Port(), portSpan(lo, hi, "–"))
	var detail strings.Builder
	fmt.Fprintf(&detail, "Clients open passive data connections to the ports the server announces, so the firewall must let them through as well as the control port %d. ", p.server.Port())
	setting := serverSetting(p.banner, lo, hi)
	switch {
	case wide:
		fmt.Fprintf(&detail, "The ports seen span %s: the server seems to take any free port rather than a configured range. Set a range and open that instead", portSpan(p.lo, p.hi, "–"))
		if setting != "" {
			fmt.Fprintf(&detail, " (%s, with the range you choose)", strings.SplitN(setting, ":", 2)[0])
		} else {
			detail.WriteString(" (vsftpd pasv_min_port/pasv_max_port, ProFTPD PassivePorts, Pure-FTPd -p)")
		}
		detail.WriteString("; until then the rules below cover the ports seen. ")
	default:
		fmt.Fprintf(&detail, "The ports seen are a sample of the server's configured range, and %s is the nearest round range that holds them: check it against the server's setting", portSpan(lo, hi, "–"))
		if setting != "" {
			fmt.Fprintf(&detail, " (%s)", setting)
		} else {
			detail.WriteString(" (vsftpd pasv_min_port/pasv_max_port, ProFTPD PassivePorts, Pure-FTPd -p)")
		}
		detail.WriteString(". ")
	}
	nft, ipt := rangeRules(p.server, lo, hi)
	fmt.Fprintf(&detail, "nftables: %s. iptables: %s. On a firewall in front of the server rather than on it, use the forward chain (FORWARD) instead of input.", nft, ipt)
	if len(p.others) > 0 {
		var names []string
		for _, a := range p.others {
			names = append(names, a.String())
		}
		fmt.Fprintf(&detail, " The announcements also named %s, not %s: behind NAT, forward the range to it.", strings.Join(names, ", "), p.server.Addr())
	}
	evOf := func(a announcement, port uint16) Evidence {
		return ev(a.packet, a.time, fmt.Sprintf("session %d: %d reply announces port %d", a.session, a.reply, port))
	}
	evs := []Evidence{evOf(p.lowest, p.lo)}
	if p.hi != p.lo {
		evs = append(evs, evOf(p.highest, p.hi))
	}
	return Finding{Code: CodePassivePortRange, Severity: SeverityInfo, Summary: summary, Detail: detail.String(), Evidence: evs}
}
