package session

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"
)

// A session captured at two points at once (both sides of a NAT, given as
// two -r files) shows up as two sessions whose addresses differ but whose
// dialogue is the same. Comparing their announcements shows what no
// single capture can: an FTP helper (ALG) on the path rewrote them.

// pointWindow is how far apart the two views of one session may start.
const pointWindow = 2 * time.Second

// dialogue is what two views of one session have in common, whatever
// NAT did to the addresses.
func dialogue(s *Session) string {
	var b strings.Builder
	if s.User != nil {
		b.WriteString(*s.User)
	}
	fmt.Fprintf(&b, "|%d|%d", s.Commands, len(s.DataChannels))
	for _, d := range s.DataChannels {
		fmt.Fprintf(&b, "|%s %s %s %d", d.SetupCommand, deref2(d.TransferCommand), deref2(d.Argument), deref(d.TransferReply))
	}
	return b.String()
}

// correlatePoints finds sessions seen at two capture points and adds an
// address-rewritten finding where an announcement differs between them.
func correlatePoints(sessions []*Session) {
	bySig := map[string][]*Session{}
	for _, s := range sessions {
		if len(s.DataChannels) > 0 {
			k := dialogue(s)
			bySig[k] = append(bySig[k], s)
		}
	}
	paired := map[*Session]bool{}
	for _, group := range bySig {
		for i, a := range group {
			if paired[a] {
				continue
			}
			for _, b := range group[i+1:] {
				if paired[b] || a.Source == b.Source || (a.Client == b.Client && a.Server == b.Server) {
					continue
				}
				if d := a.Start.Sub(b.Start.Time); d > pointWindow || d < -pointWindow {
					continue
				}
				paired[a], paired[b] = true, true
				compareViews(a, b)
				break
			}
		}
	}
}

// compareViews adds a finding to each data channel whose announcement
// differs between two views of one session.
func compareViews(a, b *Session) {
	for i, da := range a.DataChannels {
		db := b.DataChannels[i]
		if da.Announced == nil || db.Announced == nil || *da.Announced == *db.Announced {
			continue
		}
		pa, pb := *da.Announced, *db.Announced
		da.Findings = append(da.Findings, rewritten(a, da, b, db, pa, pb))
		db.Findings = append(db.Findings, rewritten(b, db, a, da, pb, pa))
	}
}

// rewritten explains, on the view here, what the other view saw.
func rewritten(here *Session, dh *DataChannel, there *Session, dt *DataChannel, ph, pt netip.AddrPort) Finding {
	who := "client"
	what := dh.SetupCommand
	if dh.Mode == ModePassive {
		who = "server"
		what = fmt.Sprintf("%d reply to %s", deref(dh.SetupReply), dh.SetupCommand)
	}
	return Finding{
		Code:     CodeAddressRewritten,
		Severity: SeverityInfo,
		Summary: fmt.Sprintf("The %s's %s reads %s here and %s in %s: a device between the capture points rewrote it.",
			who, what, ph, pt, filepath.Base(there.Source)),
		Detail: fmt.Sprintf("%s and %s hold one FTP session seen on both sides of a NAT device (its addresses differ, its commands are the same). ",
			filepath.Base(here.Source), filepath.Base(there.Source)) +
			"The announcement changed on the way: an FTP helper (ALG, such as Linux nf_conntrack_ftp) rewrote it so that the data connection can cross the NAT. " +
			"That works only while the control connection is cleartext; with AUTH TLS the helper can no longer see or rewrite it.",
		Evidence: []Evidence{
			{Packet: dh.AnnouncePacket, Time: dh.AnnounceTime, What: fmt.Sprintf("%s announces %s", what, ph)},
			{Packet: dt.AnnouncePacket, Time: dt.AnnounceTime, What: fmt.Sprintf("the same %s announces %s in %s (its packet %d)", what, pt, filepath.Base(there.Source), dt.AnnouncePacket)},
		},
	}
}
