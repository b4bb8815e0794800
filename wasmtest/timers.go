package wasmtest

import (
	"errors"
	"sync"
	"time"
)

// Clock is the host's time source. A manual clock (NewClock) only moves
// through Host.Advance or Set; the real clock follows time.Now.
type Clock struct {
	mu     sync.Mutex
	manual bool
	now    time.Time
	base   time.Time
}

// NewClock returns a manual clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{manual: true, now: start, base: start} }

func realClock() *Clock { return &Clock{base: time.Now()} }

// Now is the wall-clock time (proxy_get_current_time_nanoseconds,
// clock_time_get realtime).
func (c *Clock) Now() time.Time {
	if !c.manual {
		return time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// monotonicOrigin makes the monotonic clock read like an uptime: the Go
// runtime throws at start-up if the monotonic clock reads zero.
const monotonicOrigin = time.Hour

// Monotonic is clock_time_get's monotonic clock: nanoseconds since an
// origin one hour before the clock was created (never zero).
func (c *Clock) Monotonic() uint64 { return uint64(c.Now().Sub(c.base) + monotonicOrigin) }

// Manual reports whether the clock only moves when told to.
func (c *Clock) Manual() bool { return c.manual }

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
}

// tickState is the timer of one VM's root context.
type tickState struct {
	period time.Duration
	next   time.Time
	gen    uint64
}

// proxy_set_tick_period_milliseconds(period_ms): always Ok; applies to the
// root context of the calling VM; 0 disables; a new period restarts the
// timer (first tick one full period from now).
func hostSetTickPeriod(vm *VM, s []uint64) {
	ms := u32(s, 0)
	vm.tick.gen++
	vm.tick.period = time.Duration(ms) * time.Millisecond
	if ms > 0 {
		vm.tick.next = vm.host.clock.Now().Add(vm.tick.period)
	}
	ret(s, StatusOK)
}

// proxy_get_current_time_nanoseconds(ret_u64_ptr): wall clock as u64 ns.
func hostGetCurrentTime(vm *VM, s []uint64) {
	if !vm.mem.WriteUint64Le(u32(s, 0), uint64(vm.host.clock.Now().UnixNano())) {
		ret(s, StatusInvalidMemoryAccess)
		return
	}
	ret(s, StatusOK)
}

// ErrRealClock is returned by Advance when the host runs on real time.
var ErrRealClock = errors.New("wasmtest: Advance needs a manual clock (Options.Clock = NewClock(...))")

// Advance moves the manual clock forward by d and fires every tick that
// falls due on the way, in time order across VMs (each VM at most once per
// instant, re-armed one period after it fired). Pending shared-queue
// notifications are delivered too. It returns the traps that happened.
func (h *Host) Advance(d time.Duration) error {
	if !h.clock.manual {
		return ErrRealClock
	}
	target := h.clock.Now().Add(d)
	var errs []error
	for {
		var due *VM
		var at time.Time
		for _, vm := range h.vms {
			vm.mu.Lock()
			if vm.failed == nil && vm.tick.period > 0 && !vm.tick.next.After(target) &&
				(due == nil || vm.tick.next.Before(at)) {
				due, at = vm, vm.tick.next
			}
			vm.mu.Unlock()
		}
		if due == nil {
			break
		}
		h.clock.set(at)
		if err := due.fireTick(at); err != nil {
			errs = append(errs, err)
		}
	}
	h.clock.set(target)
	errs = append(errs, h.deliverQueues())
	return errors.Join(errs...)
}

// FireDueTicks fires the ticks that are due at the clock's current time
// (for real-time hosts such as the gateway; call it periodically).
func (h *Host) FireDueTicks() error {
	now := h.clock.Now()
	var errs []error
	for _, vm := range h.vms {
		vm.mu.Lock()
		due := vm.failed == nil && vm.tick.period > 0 && !vm.tick.next.After(now)
		vm.mu.Unlock()
		if due {
			errs = append(errs, vm.fireTick(now))
		}
	}
	errs = append(errs, h.deliverQueues())
	return errors.Join(errs...)
}

// Tick fires the tick of every VM that set a period now, due or not, and
// re-arms it one period later: what a test calls to see what a plugin
// publishes from its tick (batched counters, say) without waiting for
// the period.
func (h *Host) Tick() error {
	now := h.clock.Now()
	var errs []error
	for _, vm := range h.vms {
		vm.mu.Lock()
		armed := vm.failed == nil && vm.tick.period > 0
		vm.mu.Unlock()
		if armed {
			errs = append(errs, vm.fireTick(now))
		}
	}
	errs = append(errs, h.deliverQueues())
	return errors.Join(errs...)
}

func (vm *VM) fireTick(at time.Time) error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	gen := vm.tick.gen
	vm.trace = nil
	vm.call(vm.fns.tick, "proxy_on_tick", nil, rootContextID)
	if vm.tick.gen == gen && vm.tick.period > 0 {
		vm.tick.next = at.Add(vm.tick.period)
	}
	vm.drain()
	return vm.failed
}

func (h *Host) deliverQueues() error {
	var errs []error
	for _, vm := range h.vms {
		vm.mu.Lock()
		if vm.failed == nil {
			vm.drain()
			if vm.failed != nil {
				errs = append(errs, vm.failed)
			}
		}
		vm.mu.Unlock()
	}
	return errors.Join(errs...)
}
