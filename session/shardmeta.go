package session

import (
	"net/netip"
	"slices"
)

// A shard of ftpscope (--shard K/N) analyses the whole input but follows
// only the sessions of its share of client addresses (Config.Shards),
// and writes them as NDJSON with what ftpscope merge needs to join the
// shards into the report one Analyzer gives: ShardMeta of each session,
// the order of each global finding, and the ordinals Analyzer.Begun
// returns.

// ShardMeta is what the merge of shards needs of a session beyond what
// its JSON says: the packet that began it, when it ended (Analyzer.endAt),
// the server's banner and the packets that announced passive endpoints
// (for passive-port-range), the FXP links, whose other session the shard
// numbered with its own count, and what the text outputs read of the
// control connection's handshake.
type ShardMeta struct {
	Ordinal  int           `json:"ordinal"`
	End      int           `json:"end"`
	Banner   string        `json:"banner,omitempty"`
	Channels []ChannelMeta `json:"channels,omitempty"`
	// Control is what the text outputs say of an unanswered control
	// connection (ControlHandshake's Attempts, Answered and Payload).
	Control ControlMeta `json:"control"`
}

// ControlMeta is the part of a ControlHandshake the text outputs read.
type ControlMeta struct {
	Attempts int  `json:"attempts"`
	Answered bool `json:"answered"`
	Payload  bool `json:"payload"`
}

// ChannelMeta is the merge metadata of data channel ID.
type ChannelMeta struct {
	ID             int      `json:"id"`
	AnnouncePacket int      `json:"announce_packet,omitempty"`
	AnnounceTime   Time     `json:"announce_time"`
	FXP            *FXPMeta `json:"fxp,omitempty"`
}

// FXPMeta is an FXP link (FXPLink) with the other session named by the
// packet that began it.
type FXPMeta struct {
	Ordinal        int            `json:"ordinal"`
	Channel        int            `json:"channel"`
	Server         netip.AddrPort `json:"server"`
	AnnouncePacket int            `json:"announce_packet"`
	AnnounceTime   Time           `json:"announce_time"`
	What           string         `json:"what"`
}

// ShardMeta returns the merge metadata of s.
func (s *Session) ShardMeta() ShardMeta {
	m := ShardMeta{Ordinal: s.ordinal, End: s.endAt, Banner: s.Banner,
		Control: ControlMeta{Attempts: s.Control.Attempts, Answered: s.Control.Answered, Payload: s.Control.Payload}}
	for _, d := range s.DataChannels {
		if d.AnnouncePacket == 0 && d.FXP == nil {
			continue
		}
		c := ChannelMeta{ID: d.ID, AnnouncePacket: d.AnnouncePacket, AnnounceTime: d.AnnounceTime}
		if l := d.FXP; l != nil {
			c.FXP = &FXPMeta{Ordinal: l.ordinal, Channel: l.Channel, Server: l.Server,
				AnnouncePacket: l.Announce.Packet, AnnounceTime: l.Announce.Time, What: l.what}
		}
		m.Channels = append(m.Channels, c)
	}
	return m
}

// SetShardMeta gives s, read back from a shard's NDJSON, its merge
// metadata. The FXP links name no session until a Merger numbers them.
func (s *Session) SetShardMeta(m ShardMeta) {
	s.ordinal, s.endAt, s.Banner = m.Ordinal, m.End, m.Banner
	s.Control.Attempts, s.Control.Answered, s.Control.Payload = m.Control.Attempts, m.Control.Answered, m.Control.Payload
	for _, c := range m.Channels {
		i := slices.IndexFunc(s.DataChannels, func(d *DataChannel) bool { return d.ID == c.ID })
		if i < 0 {
			continue
		}
		d := s.DataChannels[i]
		d.AnnouncePacket, d.AnnounceTime = c.AnnouncePacket, c.AnnounceTime
		if f := c.FXP; f != nil {
			d.FXP = &FXPLink{Channel: f.Channel, Server: f.Server, ordinal: f.Ordinal, what: f.What,
				Announce: Evidence{Packet: f.AnnouncePacket, Time: f.AnnounceTime}}
		}
	}
}

// Order is the ordinal of the packet that raised a global finding: the
// merge of shards puts them in that order.
func (f Finding) Order() int { return f.order }

// SetOrder sets what Order returns, for a finding read back from a
// shard's NDJSON.
func (f *Finding) SetOrder(n int) { f.order = n }
