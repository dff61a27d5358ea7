package session

import (
	"encoding/binary"
	"net/netip"
)

// memo remembers up to max keys of connections, with a value each, and
// forgets the oldest first. Keys are kept as 64-bit hashes (keyOf): the
// analysis remembers many connections it no longer follows (those that
// ended, or were not followed), and a hash costs a ninth of a key. Two
// connections whose hashes collide (about one chance in 10^9 among a
// quarter million) would be taken for one.
type memo[V any] struct {
	max  int
	m    map[uint64]V
	ring []uint64 // the keys in order of arrival, a ring of max
	next int
}

func newMemo[V any](max int) *memo[V] { return &memo[V]{max: max} }

// get returns the value remembered for k.
func (c *memo[V]) get(k uint64) (V, bool) {
	v, ok := c.m[k]
	return v, ok
}

// put remembers v for k, forgetting the oldest key when full.
func (c *memo[V]) put(k uint64, v V) {
	if c.m == nil {
		c.m = make(map[uint64]V)
	}
	if _, ok := c.m[k]; !ok {
		if len(c.ring) < c.max {
			c.ring = append(c.ring, k)
		} else {
			delete(c.m, c.ring[c.next])
			c.ring[c.next] = k
			c.next = (c.next + 1) % c.max
		}
	}
	c.m[k] = v
}

// len returns the number of keys remembered.
func (c *memo[V]) len() int { return len(c.m) }

// keyOf hashes a connection key (FNV-1a, 64 bits): deterministic, so a
// file analyses the same way every time.
func keyOf(k connKey) uint64 {
	var b [2*18 + 8]byte
	put := func(off int, ap netip.AddrPort) {
		a := ap.Addr().As16()
		copy(b[off:], a[:])
		binary.BigEndian.PutUint16(b[off+16:], ap.Port())
	}
	put(0, k.lo)
	put(18, k.hi)
	binary.BigEndian.PutUint64(b[36:], uint64(k.source))
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
