package reconnect

// Observers returns an Observer that passes each event to every one of
// obs, in order: a Conn takes one Observer, and this is how a program
// logs, counts and traces at the same time. Nil observers (a nil
// interface or a nil ObserverFunc) are skipped; with none left it returns
// nil, which Options.Observer takes as no observer.
//
// Each observer is contained: one that panics does not keep the event
// from the others. Once all have seen it, the first panic is raised
// again, with its value, so the Conn ends as it does for a single
// panicking Observer (a *PanicError naming the hook "Observer").
func Observers(obs ...Observer) Observer {
	var list []Observer
	for _, o := range obs {
		if o == nil {
			continue
		}
		if f, ok := o.(ObserverFunc); ok && f == nil {
			continue
		}
		list = append(list, o)
	}
	if len(list) == 0 {
		return nil
	}
	return fanout(list)
}

// fanout is the Observer that Observers returns.
type fanout []Observer

// OnEvent passes e to every observer, then raises the first panic again.
func (f fanout) OnEvent(e Event) {
	var first any
	panicked := false
	for _, o := range f {
		if v, ok := contained(o, e); ok && !panicked {
			first, panicked = v, true
		}
	}
	if panicked {
		panic(first)
	}
}

// contained calls o.OnEvent(e) and returns what it panicked with, if it
// did. A panic(nil) is reported too: since Go 1.21 it is a *runtime.PanicNilError.
func contained(o Observer, e Event) (v any, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			v, panicked = r, true
		}
	}()
	o.OnEvent(e)
	return nil, false
}
