package session

import (
	"net/netip"
	"testing"
)

func TestMemoForgetsOldest(t *testing.T) {
	m := newMemo[int](3)
	for i := range 5 {
		m.put(uint64(i), i*10)
	}
	if m.len() != 3 {
		t.Fatalf("len %d, want 3", m.len())
	}
	for i := range 5 {
		v, ok := m.get(uint64(i))
		if want := i >= 2; ok != want || ok && v != i*10 {
			t.Errorf("key %d: %d, %v; want remembered %v", i, v, ok, want)
		}
	}
	m.put(3, 99) // again: no eviction, new value
	if v, _ := m.get(3); v != 99 || m.len() != 3 {
		t.Errorf("put again: %d, len %d", v, m.len())
	}
}

func TestKeyOf(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.0.0.1:51000"), netip.MustParseAddrPort("10.0.0.2:21")
	if keyOf(mkConnKey(0, a, b)) != keyOf(mkConnKey(0, b, a)) {
		t.Error("the two directions hash apart")
	}
	if keyOf(mkConnKey(0, a, b)) == keyOf(mkConnKey(1, a, b)) {
		t.Error("two inputs hash alike")
	}
}
