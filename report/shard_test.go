package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/session"
)

// shardSample is a shard's NDJSON as ftpscope --shard writes it.
func shardSample(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	n := NewShardNDJSON(&b)
	r := judged(passiveOK)()
	for _, s := range r.Sessions {
		if err := n.Session(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.ShardLine(ShardHeader{Index: 1, Of: 3, Begun: []int{1, 40}, Claimed: []int{}}); err != nil {
		t.Fatal(err)
	}
	rest := *r
	rest.Sessions = nil
	rest.Findings = []session.Finding{{Code: session.CodeLoginBruteForce, Severity: session.SeverityWarning, Summary: "s"}}
	if err := n.End(&rest); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadShard: what NewShardNDJSON writes reads back whole, and what
// is not a shard's output is refused.
func TestReadShard(t *testing.T) {
	sh, err := ReadShard(bytes.NewReader(shardSample(t)), "sample")
	if err != nil {
		t.Fatal(err)
	}
	want := judged(passiveOK)()
	if sh.Header.Index != 1 || sh.Header.Of != 3 || len(sh.Header.Begun) != 2 || len(sh.Sessions) != len(want.Sessions) || len(sh.Findings) != 1 || len(sh.Sources) != len(want.Sources) {
		t.Fatalf("read back %+v", sh)
	}
	var a, b bytes.Buffer
	if err := WriteJSON(&a, want); err != nil {
		t.Fatal(err)
	}
	back := *want
	back.Sessions = sh.Sessions
	if err := WriteJSON(&b, &back); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("sessions read back write other JSON:\n%s\n---\n%s", a.String(), b.String())
	}
	var plain bytes.Buffer
	if err := WriteNDJSON(&plain, want); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{plain.String(), "", "{\"type\":\"nonsense\"}\n", "not json\n"} {
		if _, err := ReadShard(strings.NewReader(bad), "bad"); err == nil {
			t.Errorf("ReadShard(%.60q) = nil error", bad)
		}
	}
}

// FuzzReadShard: no input makes ReadShard panic.
func FuzzReadShard(f *testing.F) {
	f.Add(shardSample(f))
	f.Add([]byte("{\"type\":\"shard\",\"index\":-1,\"of\":0}\n{\"type\":\"stats\"}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sh, err := ReadShard(bytes.NewReader(b), "fuzz")
		if err == nil && sh == nil {
			t.Fatal("nil shard without error")
		}
	})
}
