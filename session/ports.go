package session

// portCount counts, for each TCP port, the index entries that name it, so
// that a packet whose ports no entry names skips the index's map lookups
// (whose keys hold two endpoints and hash 64 bytes): on a capture where
// most packets belong to connections nobody follows, most packets stop at
// two array reads. It is exact: it says "maybe" for every port an entry
// names and "no" only for ports none does.
type portCount struct {
	n []uint32 // indexed by port; allocated at the first add
}

func (c *portCount) add(port uint16) {
	if c.n == nil {
		c.n = make([]uint32, 1<<16)
	}
	c.n[port]++
}

func (c *portCount) del(port uint16) {
	c.n[port]--
}

// has reports whether an entry may name port.
func (c *portCount) has(port uint16) bool {
	return c.n != nil && c.n[port] != 0
}
