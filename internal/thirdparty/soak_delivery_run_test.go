package thirdparty_test

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wsreconnect/wsreconnect/reconnect"
)

// deliveryFault is one fault of the delivery soak's catalogue.
type deliveryFault struct {
	name   string
	inject func(d *deliverySoak, c *dclient) bool
}

func deliveryFaults() []deliveryFault {
	kick := func(name string, code websocket.StatusCode) deliveryFault {
		return deliveryFault{name, func(d *deliverySoak, c *dclient) bool { return d.srv.kick(c.id, code) }}
	}
	f := []deliveryFault{
		kick("close_1001", 1001), kick("close_1011", 1011), kick("close_1012", 1012), kick("drop_tcp", 0),
		{"handshake_503", func(d *deliverySoak, c *dclient) bool {
			d.srv.mu.Lock()
			d.srv.reject[c.id] += 2
			d.srv.mu.Unlock()
			return d.srv.kick(c.id, 1012)
		}},
		{"rotation", func(_ *deliverySoak, c *dclient) bool { c.conn.Rotate(); return true }},
		{"history_lost", func(d *deliverySoak, c *dclient) bool { return d.srv.loseHistory(c.id) }},
	}
	for i, r := range soakRoutes {
		if i == routeClean || i == routeDead {
			continue
		}
		f = append(f, deliveryFault{r.name, func(d *deliverySoak, c *dclient) bool {
			c.route.Store(int32(i))
			d.srv.kick(c.id, 0) // the next connection goes through the fault
			return true         // even with none now: the route is set and must be undone
		}})
	}
	return f
}

// chaos injects about one fault per client every two seconds.
func (d *deliverySoak) chaos(t *testing.T) map[string]int {
	faults := deliveryFaults()
	injected := map[string]int{}
	active := map[int]time.Time{}
	end := time.Now().Add(d.cfg.duration)
	for now := time.Now(); now.Before(end); now = time.Now() {
		time.Sleep(time.Duration((0.5 + d.rng.Float64()) * float64(2*time.Second) / float64(d.cfg.clients)))
		for id, until := range active {
			if now.After(until) {
				d.clients[id].route.Store(routeClean)
				delete(active, id)
			}
		}
		id := d.rng.IntN(d.cfg.clients)
		f := faults[d.rng.IntN(len(faults))]
		if _, busy := active[id]; busy {
			continue
		}
		if f.inject(d, d.clients[id]) {
			injected[f.name]++
			active[id] = now.Add(time.Duration(100+d.rng.IntN(1500)) * time.Millisecond)
		}
	}
	d.srv.mu.Lock()
	clear(d.srv.reject)
	d.srv.mu.Unlock()
	for id := range active {
		d.clients[id].route.Store(routeClean)
		d.srv.kick(id, 0)
	}
	return injected
}

// settle waits for every client to be connected, stops the senders and
// waits (bounded) for the tracked sends to resolve, then closes the
// clients: what is still pending then resolves at the close.
func (d *deliverySoak) settle(t *testing.T) {
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range d.clients {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		for c.conn.State() != reconnect.Connected && c.conn.WaitForStateChange(ctx, c.conn.State()) {
		}
		cancel()
		if st := c.conn.State(); st != reconnect.Connected {
			c.mu.Lock()
			last := c.lastEnd
			c.mu.Unlock()
			t.Errorf("client %d is %v after the chaos, want connected (%v); last end: %s", c.id, st, c.conn.Err(), last)
		}
	}
	d.stopSending()
	d.senders.Wait()
	for _, c := range d.clients {
		c.mu.Lock()
		rs := append([]*reconnect.Receipt(nil), c.receipts...)
		c.mu.Unlock()
		for _, r := range rs {
			select {
			case <-r.Done():
			case <-time.After(time.Until(deadline)):
			}
		}
	}
	close(d.stopTicker)
	d.ticker.Wait()
	for _, c := range d.clients {
		c.conn.Close(websocket.StatusNormalClosure, "soak over")
	}
	d.readers.Wait()
}

func (d *deliverySoak) shutdown() {
	d.srv.closers.Wait()
	waitGroup(&d.srv.handlers, 10*time.Second)
	for _, p := range d.proxies {
		p.Stop()
	}
	for _, r := range d.relays {
		r.stop()
	}
	d.hs.Close()
}

// account checks the four properties and logs the figures.
func (d *deliverySoak) account(t *testing.T, injected map[string]int) {
	fates := map[reconnect.Fate]int{}
	var sends, refused, ackedMissing, dups, delivered, unreported, reported, serverGaps, twice int
	for _, c := range d.clients {
		st := d.srv.stream(c.id)
		st.mu.Lock()
		serverGaps += len(st.gaps)
		received := st.received
		st.mu.Unlock()
		c.mu.Lock()
		sends += len(c.receipts)
		refused += c.refused
		for i, r := range c.receipts {
			select {
			case <-r.Done():
			case <-time.After(5 * time.Second):
				t.Errorf("client %d: receipt %d unresolved 5 s after Close", c.id, r.ID())
			}
			f := r.Fate()
			fates[f]++

			if n := c.fateCalls[r]; n != 1 {
				twice++
				t.Errorf("client %d: receipt %d (%v): OnFate called %d times", c.id, r.ID(), f, n)
			}
			if f == reconnect.FateAcked && received[c.seqs[i]] == 0 {
				ackedMissing++
				t.Errorf("client %d: message %d acked, never received by the server", c.id, c.seqs[i])
			}
		}
		dups += c.dups
		delivered += len(c.offsets)
		reported += len(c.gaps)
		unreported += c.unreportedGaps(t)
		c.mu.Unlock()
	}
	sum := 0
	for _, n := range fates {
		sum += n
	}
	if sum != sends || fates[reconnect.FatePending] != 0 {
		t.Errorf("fates %v add up to %d, want the %d sends, none pending", fates, sum, sends)
	}
	if dups > 0 {
		t.Errorf("%d publications delivered twice or out of order", dups)
	}
	total := 0
	for _, n := range injected {
		total += n
	}
	t.Logf("delivery soak figures: clients %d, duration %v, tracked sends %d (refused %d), fates: acked %d, rejected %d, expired %d, unsent %d, unconfirmed %d, pending %d; "+
		"OnFate not once %d; acked but missing at the server %d; publications delivered %d, duplicates %d; gaps the server caused %d, reported %d, offsets missed outside a reported gap %d; faults %d %v",
		d.cfg.clients, d.cfg.duration, sends, refused, fates[reconnect.FateAcked], fates[reconnect.FateRejected], fates[reconnect.FateExpired],
		fates[reconnect.FateUnsent], fates[reconnect.FateUnconfirmed], fates[reconnect.FatePending], twice, ackedMissing, delivered, dups, serverGaps, reported, unreported, total, injected)
}

// unreportedGaps counts the offsets the application skipped that no
// reported gap covers. Guarded by c.mu.
func (c *dclient) unreportedGaps(t *testing.T) int {
	n := 0
	prev := uint64(0)
	for _, off := range c.offsets {
		for missed := prev + 1; missed < off; missed++ {
			if !c.covered(missed) {
				n++
				t.Errorf("client %d: offset %d never delivered and in no reported gap (%+v)", c.id, missed, c.gaps)
				break
			}
		}
		prev = max(prev, off)
	}
	return n
}

func (c *dclient) covered(off uint64) bool {
	for _, g := range c.gaps {
		if g.Kind == reconnect.EventGap && g.From.Offset < off && off < g.To.Offset {
			return true
		}
	}
	return false
}
