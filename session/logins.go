package session

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Failed logins are counted per client address and server across
// sessions: many of them in a short time from one client is a password
// guessing attack (login-brute-force), which no single session shows.

// Bounds of the failed-login tracker.
const (
	maxLoginPairs    = 16384 // client/server pairs followed
	maxFailuresKept  = 65536 // failure times kept per pair
	maxUsersRemember = 8
)

// loginTracker counts the failed logins of every client/server pair.
type loginTracker struct {
	pairs   map[loginKey]*loginPair
	order   []*loginPair // in order of first failure
	dropped int          // failures of pairs not followed (maxLoginPairs)
}

type loginKey struct {
	client netip.Addr
	server netip.AddrPort
}

// loginPair is what is known of the failed logins from one client
// address to one server.
type loginPair struct {
	key      loginKey
	failures []failure
	total    int
	users    []string
	// loggedIn counts the sessions of the pair that logged in after its
	// first failure; firstUser is the user of the first of them.
	loggedIn  int
	firstUser string
	// order is the ordinal of the packet of the first failure.
	order int
}

type failure struct {
	t      time.Time
	packet int
}

// fail notes a rejected USER, PASS or ACCT.
func (l *loginTracker) fail(client, server netip.AddrPort, user string, pkt int, t Time, ordinal int) {
	k := loginKey{client.Addr(), server}
	p := l.pairs[k]
	if p == nil {
		if len(l.pairs) >= maxLoginPairs {
			l.dropped++
			return
		}
		if l.pairs == nil {
			l.pairs = make(map[loginKey]*loginPair)
		}
		p = &loginPair{key: k, order: ordinal}
		l.pairs[k] = p
		l.order = append(l.order, p)
	}
	p.total++
	if len(p.failures) < maxFailuresKept {
		p.failures = append(p.failures, failure{t.Time, pkt})
	}
	if user != "" && len(p.users) < maxUsersRemember && !slices.Contains(p.users, user) {
		p.users = append(p.users, user)
	}
}

// ended notes a session that ended: one that logged in counts for its
// pair when the pair had failed before.
func (l *loginTracker) ended(s *Session) {
	if s.LoggedIn == nil || !*s.LoggedIn {
		return
	}
	p := l.pairs[loginKey{s.Client.Addr(), s.Server}]
	if p == nil {
		return
	}
	if p.loggedIn == 0 && s.User != nil {
		p.firstUser = *s.User
	}
	p.loggedIn++
}

// findings returns a login-brute-force finding for every pair with at
// least threshold failed logins within window.
func (l *loginTracker) findings(threshold int, window time.Duration) []Finding {
	var out []Finding
	for _, p := range l.order {
		if p.total < threshold {
			continue
		}
		fs := slices.Clone(p.failures)
		slices.SortStableFunc(fs, func(a, b failure) int { return a.t.Compare(b.t) })
		// The most failures within any window, and the failure that first
		// made threshold of them.
		most, reached := 0, -1
		for i, j := 0, 0; j < len(fs); j++ {
			for fs[j].t.Sub(fs[i].t) > window {
				i++
			}
			if n := j - i + 1; n > most {
				most = n
			}
			if reached < 0 && j-i+1 >= threshold {
				reached = j
			}
		}
		if reached < 0 {
			continue
		}
		out = append(out, p.finding(fs, most, reached, threshold, window))
	}
	return out
}

func (p *loginPair) finding(fs []failure, most, reached, threshold int, window time.Duration) Finding {
	first, last := fs[0], fs[len(fs)-1]
	users := "user " + strings.Join(p.users, ", ")
	if len(p.users) != 1 {
		users = "users " + strings.Join(p.users, ", ")
	}
	if len(p.users) == maxUsersRemember {
		users += ", …"
	}
	if len(p.users) == 0 {
		users = "no user name seen"
	}
	summary := fmt.Sprintf("%s failed logins from %s to %s in %s (%s): a password-guessing attack.",
		thousands(p.total), p.key.client, p.key.server, humanDuration(last.t.Sub(first.t)), users)
	detail := fmt.Sprintf("The server rejected %s logins from one client address, up to %s within %s (this report calls %d or more within %s a brute force). ",
		thousands(p.total), thousands(most), humanDuration(window), threshold, humanDuration(window)) +
		"It is a password-guessing attack, or a script retrying with a wrong password. " +
		"Block or rate-limit the source at the firewall or on the server (fail2ban on the server's log; vsftpd max_login_fails and delay_failed_login), " +
		"and check the accounts it tried."
	if p.loggedIn > 0 {
		summary = strings.TrimSuffix(summary, ".") + fmt.Sprintf("; %s then logged in as %s.", plural(p.loggedIn, "session", "sessions"), p.firstUser)
		detail += fmt.Sprintf(" %s from this client logged in after the failures began, the first as %s: treat that account as compromised until shown otherwise.",
			plural(p.loggedIn, "session", "sessions"), p.firstUser)
	}
	evs := []Evidence{{Packet: first.packet, Time: Time{first.t}, What: "first failed login"}}
	if reached > 0 {
		evs = append(evs, Evidence{Packet: fs[reached].packet, Time: Time{fs[reached].t},
			What: fmt.Sprintf("failed login %d within %s", threshold, humanDuration(window))})
	}
	if len(fs) > 1 && len(fs)-1 != reached {
		evs = append(evs, Evidence{Packet: last.packet, Time: Time{last.t}, What: "last failed login"})
	}
	return Finding{Code: CodeLoginBruteForce, Severity: SeverityWarning, Summary: summary, Detail: detail, Evidence: evs, order: p.order}
}

// thousands writes n with commas: 1,415.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// humanDuration writes a duration for a summary: 42 s, 4 min 3 s, 2 h 5 min.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		m, sec := int(d.Minutes()), int(d.Seconds())%60
		if sec == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, sec)
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
