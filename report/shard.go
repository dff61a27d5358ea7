package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ftpscope/ftpscope/session"
)

// The NDJSON of a shard (ftpscope --shard K/N) is -o ndjson with what
// ftpscope merge needs to join the shards: each session line has a
// "shard" object (session.ShardMeta), each global finding line a "shard"
// object with the finding's order, and a {"type":"shard"} line before the
// sources says which shard it is and lists the ordinals of the sessions
// it began (session.Analyzer.Begun).

// shardOrder is the "shard" object of a global finding's line.
type shardOrder struct {
	Order int `json:"order"`
}

// ShardHeader is the {"type":"shard"} line.
type ShardHeader struct {
	Index   int   `json:"index"` // K, from 0
	Of      int   `json:"of"`    // N
	Begun   []int `json:"begun"`
	Claimed []int `json:"claimed"`
}

// NewShardNDJSON returns an NDJSON writer on w whose session and finding
// lines carry a shard's merge metadata; ShardLine writes the shard's own
// line, before End.
func NewShardNDJSON(w io.Writer) *NDJSON {
	n := NewNDJSON(w)
	n.shard = true
	return n
}

// ShardLine writes the {"type":"shard"} line.
func (n *NDJSON) ShardLine(h ShardHeader) error {
	if h.Begun == nil {
		h.Begun = []int{}
	}
	if h.Claimed == nil {
		h.Claimed = []int{}
	}
	return n.write("shard", struct {
		Type string `json:"type"`
		ShardHeader
	}{"shard", h})
}

// Shard is one shard's NDJSON read back.
type Shard struct {
	Header   ShardHeader
	Sessions []*session.Session // with their merge metadata
	Findings []session.Finding  // global findings, with their order
	Sources  []session.Source
	Stats    session.Stats
}

// maxShardLine bounds a line of a shard's NDJSON: a session with many
// data channels, or the shard line of millions of sessions.
const maxShardLine = 1 << 30

// ReadShard reads the NDJSON a shard wrote. name names the input in
// errors.
func ReadShard(r io.Reader, name string) (*Shard, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxShardLine)
	sh := &Shard{}
	var seenHeader, seenStats bool
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var head struct {
			Type  string          `json:"type"`
			Shard json.RawMessage `json:"shard"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		fail := func(err error) error { return fmt.Errorf("%s: line %d (%s): %w", name, line, head.Type, err) }
		switch head.Type {
		case "session":
			if head.Shard == nil {
				return nil, fail(errNotShard)
			}
			var v struct {
				*session.Session
				Shard session.ShardMeta `json:"shard"`
			}
			v.Session = &session.Session{}
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, fail(err)
			}
			// null in the list of channels is no channel.
			v.Session.DataChannels = slices.DeleteFunc(v.Session.DataChannels, func(d *session.DataChannel) bool { return d == nil })
			v.Session.SetShardMeta(v.Shard)
			sh.Sessions = append(sh.Sessions, v.Session)
		case "finding":
			var v struct {
				session.Finding
				Shard *shardOrder `json:"shard"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, fail(err)
			}
			if v.Shard == nil {
				return nil, fail(errNotShard)
			}
			v.Finding.SetOrder(v.Shard.Order)
			sh.Findings = append(sh.Findings, v.Finding)
		case "shard":
			if err := json.Unmarshal(b, &sh.Header); err != nil {
				return nil, fail(err)
			}
			seenHeader = true
		case "source":
			var v session.Source
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, fail(err)
			}
			sh.Sources = append(sh.Sources, v)
		case "stats":
			if err := json.Unmarshal(b, &sh.Stats); err != nil {
				return nil, fail(err)
			}
			seenStats = true
		default:
			return nil, fail(fmt.Errorf("unknown line type %q", head.Type))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case !seenHeader:
		return nil, fmt.Errorf("%s: %w", name, errNotShard)
	case !seenStats:
		return nil, fmt.Errorf("%s: no stats line: the shard's output is incomplete (was it cut short?)", name)
	}
	return sh, nil
}

var errNotShard = errors.New("not the output of ftpscope --shard K/N (no shard metadata)")
