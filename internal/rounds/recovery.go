package rounds

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Recovery is what a SIGKILL with a backlog measured.
type Recovery struct {
	Accepted      int           // messages answered 202 before the kill
	Backlog       int           // of them, without a ticket at the kill
	StartUp       time.Duration // restart → /readyz 200
	Resumed       time.Duration // ready → the first ticket made after it (0: tickets were being made before /readyz answered)
	DrainRate     float64       // tickets per second from ready until the backlog was gone
	MinRate       float64       // the least over the drain's 3-second stretches
	Drained       time.Duration // ready → the last ticket
	LongestStall  time.Duration // after ready: no ticket made while messages waited
	StallAt       time.Duration // ready → the start of that stall
	StallTickets  int           // tickets made after ready when that stall began
	TicketsBefore int           // tickets at the kill
}

// AfterKill posts first messages at concurrency c until backlog of the
// accepted ones have no ticket, SIGKILLs the process, restarts it and waits
// until every accepted message has its ticket (up to limit). It aims 5 %
// above backlog: tickets are counted every 100 ms, and those made between
// the last count and the kill would otherwise leave the backlog short.
func (tg Target) AfterKill(channel, prefix string, backlog, c int, limit time.Duration) (Recovery, error) {
	rec := tg.record(channel)
	var stop sync.Once
	stopped := make(chan struct{})
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopped:
					return
				default:
				}
				next.Lock()
				id := fmt.Sprintf("%s-%d", prefix, i)
				i++
				next.Unlock()
				if ok, _, _ := tg.post(channel, id); ok {
					rec.accepted.Add(1)
				}
			}
		}()
	}
	deadline := time.Now().Add(limit)
	aim := backlog + max(backlog/20, 5)
	for {
		s := rec.last()
		if int(rec.accepted.Load())-s.tickets >= aim {
			break
		}
		if time.Now().After(deadline) {
			stop.Do(func() { close(stopped) })
			wg.Wait()
			rec.finish()
			return Recovery{}, fmt.Errorf("no backlog of %d within %s: %d accepted, %d tickets", backlog, limit, rec.accepted.Load(), s.tickets)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tg.Kill()
	stop.Do(func() { close(stopped) })
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	before, err := tg.Tickets(ctx, channel)
	cancel()
	if err != nil {
		rec.finish()
		return Recovery{}, err
	}
	res := Recovery{Accepted: int(rec.accepted.Load()), TicketsBefore: before}
	res.Backlog = res.Accepted - before
	restart := time.Now()
	tg.Start()
	ready := time.Now()
	res.StartUp = ready.Sub(restart)
	drained, err := rec.waitDrained(limit)
	samples := rec.finish()
	if err != nil {
		return res, err
	}
	res.Drained = drained.Sub(ready)
	for _, s := range samples {
		if s.tickets > before {
			res.Resumed = max(s.at.Sub(ready), 0)
			break
		}
	}
	if d := drained.Sub(ready).Seconds(); d > 0 {
		res.DrainRate = float64(res.Accepted-at(samples, ready).tickets) / d
	}
	res.MinRate = minRate(samples, ready.Add(res.Resumed), drained, 3*time.Second)
	var began time.Time
	res.LongestStall, began = longestStallAt(samples, ready, drained)
	if !began.IsZero() {
		res.StallAt = began.Sub(ready)
		res.StallTickets = at(samples, began).tickets - at(samples, ready).tickets
	}
	return res, nil
}
