// Package redisbudget is a dial budget shared by every process that
// names the same key in one Redis: a reconnect.Limiter for
// Options.DialBudget, for fleets of many processes on many hosts behind
// one egress IP or one account, which a venue limits together (300 new
// connections per 5 minutes per IP, 3 per second...).
//
//	budget, err := redisbudget.New(redisbudget.Options{
//		URL:       "redis://:password@budget-redis:6379/0",
//		Key:       "okx:203.0.113.7:dial", // venue, egress IP
//		Rate:      27, Period: 10 * time.Second, Burst: 1, // 90 % of OKX's 3 a second
//		Processes: 20, // the fleet's size: each one's share when Redis is down
//	})
//	if err != nil {
//		return err
//	}
//	defer budget.Close()
//	c, err := reconnect.Dial(ctx, url, &reconnect.Options{DialBudget: budget})
//
// The engine is github.com/go-redis/redis_rate: GCRA in one Lua script
// that reads the Redis server's clock, so the hosts' clocks do not matter.
// A Wait asks Redis once and, when refused, sleeps the retry-after the
// script returns before it asks again. In one process only one Wait
// talks to Redis at a time and the others queue behind it, so a
// thousand Conns reconnecting at once cost Redis one call per
// retry-after per process, not a thousand. That also caps one process at
// one dial per Redis round trip, far above any venue's limit. Redis
// admits dials on its clock; the server counts them as they arrive, and a
// process the scheduler holds back sends several together: leave the
// budget some headroom under the venue's limit (10 % was enough for a
// herd of 8 processes on 2 busy cores).
//
// # When Redis is down or slow
//
// Every Redis call is bounded by Options.Timeout. A call that fails or
// runs out of time switches the process to its fallback until
// Options.Probe has passed; then the next Wait asks Redis again.
// FallbackLocal (the default) waits on a limiter in the process that
// allows Rate/Processes per Period and starts empty, so that the fleet
// keeps dialling at about the budget, without a burst at the switch.
// FallbackClosed allows nothing: Wait returns ErrUnavailable, the Conn
// counts a failed attempt and backs off, and no dial happens without
// Redis's word. When Redis answers again, the process asks it without
// the burst for one Period (a restarted Redis has forgotten what the
// fleet spent meanwhile), then with it. Processes do not switch at the
// same moment: for up to Probe, some may spend their local share while
// others already spend the shared budget. go-redis dials a Redis that
// refused it again about once a second, so a process finds Redis back
// within about Probe plus a second.
//
// # What it reports
//
// Options.Observe receives every wait (how long, through Redis or the
// fallback, its error), every Redis error and every switch;
// Options.MeterProvider gets the same as OpenTelemetry metrics
// (wsreconnect.budget.wait, wsreconnect.budget.redis_errors,
// wsreconnect.budget.fallbacks). The password of Options.URL never
// appears in an error or an Event. go-redis's own logger, which the
// application configures with redis.SetLogger, does not print it either.
//
// # As a hook
//
// A Conn runs Wait as a hook. Wait honours ctx, returns at once with
// ErrDeadline rather than sleep past ctx's deadline, and lets no panic
// escape: a panic in Observe becomes Wait's error, a
// *reconnect.PanicError, and the attempt fails and is retried.
package redisbudget
