package session

import (
	"github.com/apiwarden/apiwarden/policy/kernel"

	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrContention is returned when every compare-and-swap attempt of one
// update lost against another writer. The filter applies failure_mode and
// counts it; the request's operation is not recorded.
var ErrContention = errors.New("session: shared data contention: compare-and-swap retries exhausted")

// CreateCAS and CASFor are the kernel's (aliases for session's callers).
const CreateCAS = kernel.CreateCAS

// CASFor is kernel.CASFor.
func CASFor(cas uint32, found bool) uint32 { return kernel.CASFor(cas, found) }

const bucketVersion = 1

// Sessions is the compiled session configuration plus the session table it
// keeps in shared data. It is immutable and safe for concurrent use.
type Sessions struct {
	cfg     Config
	buckets int
}

// New returns the session table for c; zero fields take their defaults.
func New(c Config) *Sessions {
	d := DefaultConfig()
	if len(c.From) == 0 {
		c.From = d.From
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.History <= 0 {
		c.History = d.History
	}
	if c.History > MaxHistory {
		c.History = MaxHistory
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = d.MaxSessions
	}
	if c.MaxSessions < Ways {
		c.MaxSessions = Ways
	}
	if c.Retries <= 0 {
		c.Retries = d.Retries
	}
	if c.Prefix == "" {
		c.Prefix = d.Prefix
	}
	return &Sessions{cfg: c, buckets: (c.MaxSessions + Ways - 1) / Ways}
}

// Config returns the effective configuration (with defaults applied).
func (s *Sessions) Config() Config { return s.cfg }

// Buckets returns the number of shared-data keys the table can ever use.
func (s *Sessions) Buckets() int { return s.buckets }

// BucketKey returns the shared-data key of bucket i.
func (s *Sessions) BucketKey(i int) string { return s.cfg.Prefix + "s/" + strconv.Itoa(i) }

// Key returns the HASHED session key of a request and the source it came
// from ("header:x-session-id", "jwt:sub", "ip", ...), trying the configured
// sources in order; ("", "") when none yields a key. The raw key never
// leaves the package.
func (s *Sessions) Key(h Headers, sourceAddress string) (key string, source string) {
	raw, src := s.RawKey(h, knownAddress(sourceAddress), false, nil)
	return s.hashed(raw), src
}

// Claims reads a claim of a VERIFIED token by name.
type Claims interface {
	ClaimString(name string) (string, bool)
}

// KeyVerified is Key for a policy that authenticates: a "jwt:<claim>"
// source reads the claim from verified (nil: the request has no verified
// token, and the source gives nothing), never from the unverified token,
// so a client cannot choose its session by forging one.
func (s *Sessions) KeyVerified(h Headers, sourceAddress string, verified Claims) (key string, source string) {
	raw, src := s.RawKey(h, knownAddress(sourceAddress), true, verified)
	return s.hashed(raw), src
}

// HasJWTSource reports whether a "jwt:<claim>" source is configured.
func (s *Sessions) HasJWTSource() bool {
	for _, k := range s.cfg.From {
		if k.Kind == SourceJWT {
			return true
		}
	}
	return false
}

// RawKey is the session key before hashing, and its source: Key
// (verifiedOnly false) or KeyVerified (true) without the hash, for a
// caller that hashes only when the session is used. The raw key is a
// secret: it must never reach a log line. address is asked only if the
// client-address source is reached (in Envoy it is a host call).
func (s *Sessions) RawKey(h Headers, address Address, verifiedOnly bool, verified Claims) (raw, source string) {
	raw, i, _ := s.rawKey(h, address, verifiedOnly, verified, false)
	if i >= 0 {
		source = s.cfg.From[i].String()
	}
	return raw, source
}

// DeferredRawKey is RawKey for a caller that reads the client address only
// when it needs the key: when the sources come down to the last one and
// it is the client address with no trusted forwarded-for hop (the
// default), it returns byAddress instead of reading the address, and
// AddressKey gives the key later, from the address alone.
func (s *Sessions) DeferredRawKey(h Headers, address Address, verifiedOnly bool, verified Claims) (raw string, byAddress bool) {
	raw, _, byAddress = s.rawKey(h, address, verifiedOnly, verified, true)
	return raw, byAddress
}

// AddressKey is the raw key of the client-address source for a deferred
// key (DeferredRawKey): the address's host, normalised.
func AddressKey(sourceAddress string) string { return ClientIP("", sourceAddress, 0) }

// rawKey returns the key and the index of its source in From (-1: none).
func (s *Sessions) rawKey(h Headers, address Address, verifiedOnly bool, verified Claims, deferLast bool) (raw string, source int, byAddress bool) {
	for i, k := range s.cfg.From {
		switch {
		case deferLast && k.Kind == SourceIP && s.cfg.TrustedHops == 0 && i == len(s.cfg.From)-1:
			return "", i, true
		case k.Kind != SourceJWT || !verifiedOnly:
			raw = k.rawKey(h, address, s.cfg.TrustedHops)
		case verified != nil:
			raw, _ = verified.ClaimString(k.Name)
		}
		if raw != "" {
			return raw, i, false
		}
	}
	return "", -1, false
}

func (s *Sessions) hashed(raw string) string {
	if raw == "" {
		return ""
	}
	return s.Hash(raw)
}

// Hash returns the session hash of a raw key: the first 16 bytes of
// SHA-256(salt || 0x00 || key) as 32 lower-case hex digits.
func (s *Sessions) Hash(key string) string { return Hash(s.cfg.Salt, key) }

// Salt is the salt session hashes are made with (a secret: never log it);
// other per-key tables of the proxy hash with it too.
func (s *Sessions) Salt() string { return s.cfg.Salt }

// Hash is Sessions.Hash with an explicit salt.
func Hash(salt, key string) string {
	var small [256]byte
	var sum [32]byte
	if n := len(salt) + 1 + len(key); n <= len(small) {
		b := append(append(append(small[:0], salt...), 0), key...)
		sum = sha256.Sum256(b)
	} else {
		d := sha256.New()
		d.Write([]byte(salt))
		d.Write([]byte{0})
		d.Write([]byte(key))
		d.Sum(sum[:0])
	}
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	return string(out[:])
}

// locate maps a session hash to its bucket and its 64-bit id (FNV-1a).
func (s *Sessions) locate(sessionHash string) (bucket int, id uint64) {
	h := uint64(14695981039346656037)
	for i := 0; i < len(sessionHash); i++ {
		h ^= uint64(sessionHash[i])
		h *= 1099511628211
	}
	return int(h % uint64(s.buckets)), h
}

// way is one session resident in a bucket.
type way struct {
	id   uint64
	last int64
	rec  []byte // encoded history
}

// Txn is one read-modify-write of a session's history: Begin reads it,
// Commit appends an operation and writes it back with compare-and-swap. A
// Txn is scratch space: reuse it (not concurrently) to avoid allocations.
type Txn struct {
	// Prior is the session's history before this request (empty when the
	// session is new or expired). Valid until the next Begin.
	Prior History
	// Corrupt reports that the bucket held entries that do not decode;
	// Dropped counts them. Commit rewrites the bucket without them (the
	// other sessions of the bucket keep their histories).
	Corrupt bool
	Dropped int

	key   string
	cas   uint32
	found bool
	id    uint64
	raw   []byte
	ways  [Ways]way
	n     int
	self  int
	next  History
	hbuf  []byte
	buf   []byte
	order [Ways]int
}

// Begin reads the bucket of sessionHash into tx. now is used for idle
// expiry: a history idle for longer than idle_timeout reads as empty.
func (s *Sessions) Begin(st Store, sessionHash string, now time.Time, tx *Txn) error {
	bucket, id := s.locate(sessionHash)
	key := s.BucketKey(bucket)
	raw, cas, found, err := st.Get(key)
	if err != nil {
		return fmt.Errorf("session: read shared data: %w", err)
	}
	s.load(tx, key, id, raw, cas, found, now)
	return nil
}

// load decodes a bucket value read from shared data into tx.
func (s *Sessions) load(tx *Txn, key string, id uint64, raw []byte, cas uint32, found bool, now time.Time) {
	tx.key, tx.cas, tx.found, tx.id, tx.raw = key, cas, found, id, raw
	tx.n, tx.self, tx.Corrupt, tx.Dropped = 0, -1, false, 0
	tx.Prior.Reset()
	if found {
		tx.Dropped = tx.decodeBucket()
		tx.Corrupt = tx.Dropped > 0
	}
	if tx.self >= 0 {
		if err := tx.Prior.UnmarshalBinary(tx.ways[tx.self].rec); err != nil {
			tx.Corrupt = true
			tx.Prior.Reset()
		} else if tx.Prior.Expired(Millis(now), s.cfg.IdleTimeout) {
			tx.Prior.Reset()
		}
	}
}

// decodeBucket reads the bucket way by way: a way that does not decode
// (a damaged or foreign record) is dropped and counted, the others kept,
// so one bad entry never costs its neighbours their histories. Once the
// framing itself is impossible the rest of the value is one dropped
// entry. A value of another version is foreign: dropped as one.
func (tx *Txn) decodeBucket() (dropped int) {
	b := tx.raw
	if len(b) < 2 || b[0] != bucketVersion {
		return 1
	}
	n := int(b[1])
	b = b[2:]
	for i := 0; i < n; i++ {
		if len(b) < 8 {
			return dropped + 1
		}
		id := binary.LittleEndian.Uint64(b)
		l, m := binary.Uvarint(b[8:])
		if m <= 0 || l > uint64(len(b)-8-m) {
			return dropped + 1
		}
		rec := b[8+m : 8+m+int(l)]
		b = b[8+m+int(l):]
		last, ok := peekLastSeen(rec)
		if !ok || tx.n == Ways || tx.has(id) {
			dropped++
			continue
		}
		tx.ways[tx.n] = way{id: id, last: last, rec: rec}
		if id == tx.id {
			tx.self = tx.n
		}
		tx.n++
	}
	if len(b) != 0 {
		dropped++
	}
	return dropped
}

func (tx *Txn) has(id uint64) bool {
	for i := 0; i < tx.n; i++ {
		if tx.ways[i].id == id {
			return true
		}
	}
	return false
}

func peekLastSeen(rec []byte) (int64, bool) {
	if len(rec) < 2 || rec[0] != HistoryVersion {
		return 0, false
	}
	v, m := binary.Uvarint(rec[1:])
	if m <= 0 || v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}

// Commit appends op at now to tx.Prior and writes the bucket back with the
// cas read by Begin. It returns ErrCASMismatch when another writer changed
// the bucket since Begin (call Begin again). Expired neighbours are dropped
// from the bucket; when the bucket is full, the least recently seen
// neighbour is evicted to make room.
func (s *Sessions) Commit(st Store, tx *Txn, op int, now time.Time) error {
	b, err := s.encode(tx, op, now)
	if err != nil {
		return err
	}
	if err := st.Set(tx.key, b, CASFor(tx.cas, tx.found)); err != nil {
		if errors.Is(err, ErrCASMismatch) {
			return ErrCASMismatch
		}
		return fmt.Errorf("session: write shared data: %w", err)
	}
	return nil
}

// encode appends op at now to tx.Prior and returns the bucket to write.
func (s *Sessions) encode(tx *Txn, op int, now time.Time) ([]byte, error) {
	if op < 0 || op > MaxOp {
		return nil, fmt.Errorf("session: operation index %d out of range", op)
	}
	nowMs := Millis(now)
	tx.next.LastSeen = tx.Prior.LastSeen
	tx.next.Entries = append(tx.next.Entries[:0], tx.Prior.Entries...)
	tx.next.Append(uint16(op), nowMs, s.cfg.History)
	var err error
	tx.hbuf, err = tx.next.AppendBinary(tx.hbuf[:0])
	if err != nil {
		return nil, err
	}
	// Neighbours to keep: not expired, most recently seen first.
	keep := tx.order[:0]
	idle := s.cfg.IdleTimeout.Milliseconds()
	for i := 0; i < tx.n; i++ {
		if i == tx.self || nowMs-tx.ways[i].last > idle {
			continue
		}
		keep = append(keep, i)
		for j := len(keep) - 1; j > 0 && tx.ways[keep[j]].last > tx.ways[keep[j-1]].last; j-- {
			keep[j], keep[j-1] = keep[j-1], keep[j]
		}
	}
	if len(keep) > Ways-1 {
		keep = keep[:Ways-1]
	}
	b := append(tx.buf[:0], bucketVersion, byte(1+len(keep)))
	b = appendWay(b, tx.id, tx.hbuf)
	for _, i := range keep {
		b = appendWay(b, tx.ways[i].id, tx.ways[i].rec)
	}
	tx.buf = b
	return b, nil
}

func appendWay(b []byte, id uint64, rec []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, id)
	b = binary.AppendUvarint(b, uint64(len(rec)))
	return append(b, rec...)
}

// Committed returns the history written by the last successful Commit.
func (tx *Txn) Committed() *History { return &tx.next }

// Record appends op to the session's history with up to Retries
// compare-and-swap attempts; ErrContention when all of them lost.
func (s *Sessions) Record(st Store, sessionHash string, op int, now time.Time, tx *Txn) error {
	return s.update(st, sessionHash, op, now, tx, nil, nil)
}

// Snapshot is a session's bucket as a Begin read it, kept (copied) for a
// later RecordFrom.
type Snapshot struct {
	read kernel.Read
	key  string
}

// Snapshot copies the bucket tx read (Begin) into snap.
func (tx *Txn) Snapshot(snap *Snapshot) {
	snap.read = kernel.Read{Value: append(snap.read.Value[:0], tx.raw...), CAS: tx.cas, Found: tx.found}
	snap.key = tx.key
}

// RecordFrom is Record starting from the bucket snap holds (the read of
// the same session's Begin, earlier in the exchange): when no other
// request wrote the bucket since, the step is written without reading it
// again; otherwise the compare-and-swap fails and Record's loop goes on.
func (s *Sessions) RecordFrom(st Store, sessionHash string, op int, now time.Time, tx *Txn, snap *Snapshot) error {
	return s.update(st, sessionHash, op, now, tx, snap, nil)
}

// Update is the read-evaluate-write of one step: it reads the session's
// history, calls evaluate with it (nil: nothing to evaluate), appends op
// and writes the bucket back with compare-and-swap (kernel.Update),
// retrying all three when another writer got in between, so evaluate
// never sees a stale history. Every attempt calls evaluate again.
// Exhausted retries return ErrContention; on success tx holds the history
// evaluate saw (tx.Prior) and the one written (Committed).
func (s *Sessions) Update(st Store, sessionHash string, op int, now time.Time, tx *Txn, evaluate func(prior *History)) error {
	return s.update(st, sessionHash, op, now, tx, nil, evaluate)
}

func (s *Sessions) update(st Store, sessionHash string, op int, now time.Time, tx *Txn, snap *Snapshot, evaluate func(prior *History)) error {
	if op < 0 || op > MaxOp {
		return fmt.Errorf("session: operation index %d out of range", op)
	}
	bucket, id := s.locate(sessionHash)
	key := s.BucketKey(bucket)
	var first *kernel.Read
	if snap != nil && snap.key == key {
		first = &snap.read
	}
	err := kernel.UpdateFrom(st, key, s.cfg.Retries, first, func(raw []byte, found bool) ([]byte, bool, error) {
		s.load(tx, key, id, raw, 0, found, now)
		if evaluate != nil {
			evaluate(&tx.Prior)
		}
		b, err := s.encode(tx, op, now)
		return b, err == nil, err
	})
	switch {
	case errors.Is(err, kernel.ErrContention):
		return ErrContention
	case err != nil:
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// Load returns a copy of the session's current history (empty if unknown or
// expired).
func (s *Sessions) Load(st Store, sessionHash string, now time.Time) (History, error) {
	var tx Txn
	if err := s.Begin(st, sessionHash, now, &tx); err != nil {
		return History{}, err
	}
	return History{LastSeen: tx.Prior.LastSeen, Entries: append([]Entry(nil), tx.Prior.Entries...)}, nil
}

// Sweep visits n buckets starting at bucket from and rewrites those that
// hold expired sessions without them (an all-expired bucket shrinks to a
// 2-byte tombstone; shared data has no delete). It returns the bucket to
// start the next sweep at and how many sessions were dropped. A bucket
// changed concurrently is skipped (cas mismatch), not retried. Sweep is
// optional: the table's size is bounded without it, Sweep only returns the
// memory of idle sessions early. Call it from a tick with a small n.
func (s *Sessions) Sweep(st Store, now time.Time, from, n int) (next, dropped int, err error) {
	if from < 0 || from >= s.buckets {
		from = 0
	}
	if n > s.buckets {
		n = s.buckets
	}
	nowMs := Millis(now)
	idle := s.cfg.IdleTimeout.Milliseconds()
	var tx Txn
	i := from
	for k := 0; k < n; k++ {
		key := s.BucketKey(i)
		i++
		if i == s.buckets {
			i = 0
		}
		raw, cas, found, gerr := st.Get(key)
		if gerr != nil {
			return i, dropped, fmt.Errorf("session: sweep: %w", gerr)
		}
		if !found {
			continue
		}
		tx.raw, tx.n, tx.self, tx.id = raw, 0, -1, 0
		bad := tx.decodeBucket()
		b := append(tx.buf[:0], bucketVersion, 0)
		kept := 0
		for w := 0; w < tx.n; w++ {
			if nowMs-tx.ways[w].last > idle {
				continue
			}
			b = appendWay(b, tx.ways[w].id, tx.ways[w].rec)
			kept++
		}
		tx.buf = b
		if bad == 0 && kept == tx.n {
			continue
		}
		b[1] = byte(kept)
		if serr := st.Set(key, b, cas); serr == nil {
			dropped += tx.n - kept
		} else if !errors.Is(serr, ErrCASMismatch) {
			return i, dropped, fmt.Errorf("session: sweep: %w", serr)
		}
	}
	return i, dropped, nil
}
