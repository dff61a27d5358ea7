package decode

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers that CommunityID hashes with ports.
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// CommunityID returns the Community ID v1 of a TCP or UDP flow
// (github.com/corelight/community-id-spec): "1:" and the base64 of the
// SHA-1 of the seed, the two addresses and ports ordered so that both
// directions of a connection hash alike, and the protocol. Zeek's
// conn.log, Suricata's EVE and tshark (field communityid) compute the
// same string, which makes it the key to join their records with ours.
// Both endpoints must be of one family; IPv4-mapped addresses count as
// IPv4. It returns "" for endpoints that are not valid.
func CommunityID(src, dst netip.AddrPort, proto uint8, seed uint16) string {
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	if !sa.IsValid() || !da.IsValid() || sa.Is4() != da.Is4() {
		return ""
	}
	sp, dp := src.Port(), dst.Port()
	// The smaller endpoint first: by address, then by port.
	if c := sa.Compare(da); c > 0 || (c == 0 && sp > dp) {
		sa, da, sp, dp = da, sa, dp, sp
	}
	var buf [2 + 16 + 16 + 2 + 2 + 2]byte
	b := binary.BigEndian.AppendUint16(buf[:0], seed)
	b = append(b, sa.AsSlice()...)
	b = append(b, da.AsSlice()...)
	b = append(b, proto, 0)
	b = binary.BigEndian.AppendUint16(b, sp)
	b = binary.BigEndian.AppendUint16(b, dp)
	sum := sha1.Sum(b)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}
