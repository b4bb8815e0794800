package wasmtest

import (
	"sort"
	"sync"
)

// sharedStore is the process-global shared data and queues of one vm_id
// (all VMs of a Host share it), with cpp-host's CAS rules.
type sharedStore struct {
	mu     sync.Mutex
	data   map[string]sharedValue
	cas    uint32
	queues map[string]*sharedQueue // by name (one vm_id per Host)
	byID   map[uint32]*sharedQueue
	nextQ  uint32
}

type sharedValue struct {
	value []byte
	cas   uint32
}

type sharedQueue struct {
	id      uint32
	name    string
	items   [][]byte
	owner   *VM
	pending int
}

func newSharedStore() *sharedStore {
	return &sharedStore{data: map[string]sharedValue{}, queues: map[string]*sharedQueue{},
		byID: map[uint32]*sharedQueue{}}
}

func (s *sharedStore) nextCAS() uint32 {
	s.cas++
	if s.cas == 0 {
		s.cas++
	}
	return s.cas
}

// SharedData returns a copy of the shared-data store (key -> value).
func (h *Host) SharedData() map[string][]byte {
	h.shared.mu.Lock()
	defer h.shared.mu.Unlock()
	m := make(map[string][]byte, len(h.shared.data))
	for k, v := range h.shared.data {
		m[k] = append([]byte(nil), v.value...)
	}
	return m
}

// SharedDataBytes is the total size of keys and values in the store.
func (h *Host) SharedDataBytes() int {
	h.shared.mu.Lock()
	defer h.shared.mu.Unlock()
	n := 0
	for k, v := range h.shared.data {
		n += len(k) + len(v.value)
	}
	return n
}

// SharedDataKeys returns the keys, sorted.
func (h *Host) SharedDataKeys() []string {
	h.shared.mu.Lock()
	keys := make([]string, 0, len(h.shared.data))
	for k := range h.shared.data {
		keys = append(keys, k)
	}
	h.shared.mu.Unlock()
	sort.Strings(keys)
	return keys
}

// SetSharedData stores a value from the test side, as an unconditional
// set (cas 0) would.
func (h *Host) SetSharedData(key string, value []byte) {
	h.shared.mu.Lock()
	defer h.shared.mu.Unlock()
	h.shared.data[key] = sharedValue{value: append([]byte(nil), value...), cas: h.shared.nextCAS()}
}

// proxy_get_shared_data(key, key_len, ret_val_ptr_ptr, ret_val_len_ptr,
// ret_cas_ptr): missing key ⇒ NotFound; else the value (fresh allocation,
// (0,0) when empty) and its CAS (u32).
func hostGetSharedData(vm *VM, s []uint64) {
	key, ok := vm.readString(u32(s, 0), u32(s, 1))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	st := vm.host.shared
	st.mu.Lock()
	v, found := st.data[key]
	st.mu.Unlock()
	if !found {
		ret(s, StatusNotFound)
		return
	}
	if r := vm.copyOut(v.value, u32(s, 2), u32(s, 3)); r != StatusOK {
		ret(s, r)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s, 4), v.cas) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

// proxy_set_shared_data(key, key_len, val, val_len, cas): cas 0 ⇒
// unconditional; existing key with cas ≠ stored ⇒ CasMismatch; missing
// key ⇒ created whatever cas says. Every set assigns a fresh CAS from a
// global counter (1, 2, ..., skipping 0). No delete, no expiry.
func hostSetSharedData(vm *VM, s []uint64) {
	key, ok := vm.readString(u32(s, 0), u32(s, 1))
	val, ok2 := vm.read(u32(s, 2), u32(s, 3))
	if !ok || !ok2 {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	cas := u32(s, 4)
	st := vm.host.shared
	st.mu.Lock()
	defer st.mu.Unlock()
	if cur, found := st.data[key]; found && cas != 0 && cas != cur.cas {
		ret(s, StatusCasMismatch)
		return
	}
	st.data[key] = sharedValue{value: append([]byte(nil), val...), cas: st.nextCAS()}
	ret(s, StatusOK)
}

// proxy_register_shared_queue(name, name_len, ret_id_ptr): creates the
// queue or re-opens it (data kept), and makes the calling VM's root
// context the one notified on enqueue (last registrant wins). Ids start
// at 1.
func hostRegisterQueue(vm *VM, s []uint64) {
	name, ok := vm.readString(u32(s, 0), u32(s, 1))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	st := vm.host.shared
	st.mu.Lock()
	q := st.queues[name]
	if q == nil {
		st.nextQ++
		q = &sharedQueue{id: st.nextQ, name: name}
		st.queues[name] = q
		st.byID[q.id] = q
	}
	q.owner = vm
	id := q.id
	st.mu.Unlock()
	if !vm.mem.WriteUint32Le(u32(s, 2), id) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

// proxy_resolve_shared_queue(vm_id, vm_id_len, name, name_len, ret_id_ptr):
// empty vm_id means the caller's; unknown queue (or other vm_id) ⇒ NotFound.
func hostResolveQueue(vm *VM, s []uint64) {
	vmID, ok := vm.readString(u32(s, 0), u32(s, 1))
	name, ok2 := vm.readString(u32(s, 2), u32(s, 3))
	if !ok || !ok2 {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	if vmID != "" && vmID != vm.host.opts.VMID {
		ret(s, StatusNotFound)
		return
	}
	st := vm.host.shared
	st.mu.Lock()
	q := st.queues[name]
	st.mu.Unlock()
	if q == nil {
		ret(s, StatusNotFound)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s, 4), q.id) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

// proxy_enqueue_shared_queue(queue_id, val, val_len): unknown id ⇒
// NotFound; else appends and posts proxy_on_queue_ready to the owner VM
// (delivered after its current call, or by Host.Advance/DeliverQueues).
func hostEnqueue(vm *VM, s []uint64) {
	val, ok := vm.read(u32(s, 1), u32(s, 2))
	if !ok {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	st := vm.host.shared
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.byID[u32(s, 0)]
	if q == nil {
		ret(s, StatusNotFound)
		return
	}
	q.items = append(q.items, append([]byte(nil), val...))
	if q.owner != nil {
		q.pending++
	}
	ret(s, StatusOK)
}

// proxy_dequeue_shared_queue(queue_id, ret_ptr_ptr, ret_len_ptr): unknown
// ⇒ NotFound; empty ⇒ Empty; else the oldest item.
func hostDequeue(vm *VM, s []uint64) {
	st := vm.host.shared
	st.mu.Lock()
	q := st.byID[u32(s, 0)]
	if q == nil {
		st.mu.Unlock()
		ret(s, StatusNotFound)
		return
	}
	if len(q.items) == 0 {
		st.mu.Unlock()
		ret(s, StatusEmpty)
		return
	}
	item := q.items[0]
	q.items = q.items[1:]
	st.mu.Unlock()
	ret(s, vm.copyOut(item, u32(s, 1), u32(s, 2)))
}

// deliverQueueReady calls proxy_on_queue_ready for one pending
// notification owned by vm; it reports whether it did.
func (vm *VM) deliverQueueReady() bool {
	st := vm.host.shared
	st.mu.Lock()
	var id uint32
	for _, q := range st.byID {
		if q.owner == vm && q.pending > 0 {
			q.pending--
			id = q.id
			break
		}
	}
	st.mu.Unlock()
	if id == 0 {
		return false
	}
	vm.call(vm.fns.queueReady, "proxy_on_queue_ready", nil, rootContextID, id)
	return true
}

// DeliverQueues delivers pending proxy_on_queue_ready notifications on
// every VM.
func (h *Host) DeliverQueues() error { return h.deliverQueues() }
