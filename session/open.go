package session

// Open is the number of sessions the analyser follows now: begun and not
// yet ended. Like every method of Analyzer, it must not be called
// concurrently with the others.
func (a *Analyzer) Open() int { return len(a.live) }
