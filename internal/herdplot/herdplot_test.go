package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tiny is what examples/herd -csv writes for two strategies of one
// scenario and one of another, with 4 clients.
const tiny = `scenario,strategy,what,mode,clients,downtime_ms,capacity_per_100ms,t_ms,accepts
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,0,0
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,50,0
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,100,0
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,150,0
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,200,2
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,250,0
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,300,1
drop,backoff-v4,backoff/v4 defaults,simulated,4,200,2,350,1
drop,ours,policy.Default(),simulated,4,200,2,0,0
drop,ours,policy.Default(),simulated,4,200,2,200,1
drop,ours,policy.Default(),simulated,4,200,2,250,1
drop,ours,policy.Default(),simulated,4,200,2,300,1
1012,ours,policy.Default(),simulated,4,200,2,0,3
`

// TestRunDrawsPNG builds the drop plot from the tiny CSV and checks the
// PNG has the size the docs use and that the legend says when each
// strategy was back.
func TestRunDrawsPNG(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "herd.csv"), filepath.Join(dir, "drop.png")
	if err := os.WriteFile(in, []byte(tiny), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(in, "drop", out, ""); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the output is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 432 {
		t.Errorf("PNG is %dx%d, want 768x432", b.Dx(), b.Dy())
	}

	runs, err := load(strings.NewReader(tiny))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"backoff/v4 defaults, all back by 0.40 s", "ours: policy.Default(), 3 of 4 back", "ours: policy.Default(), 3 of 4 back"}
	for i, s := range runs {
		if got := legendLabel(s); got != want[i] {
			t.Errorf("run %d (%s/%s): legend %q, want %q", i, s.scenario, s.strategy, got, want[i])
		}
	}
}

func TestLegendLabel(t *testing.T) {
	tests := []struct {
		name           string
		strategy, what string
		want           string
	}{
		{"default", "ours", "policy.Default(): full jitter [0, 500 ms) first", "ours: policy.Default(), all back by 0.10 s"},
		{"tuned", "ours", "policy.Default() with Backoff.Initial 1s, RefusedSpread 0s", "ours: policy.Default() with Backoff.Initial 1s, RefusedSpread 0s, all back by 0.10 s"},
		{"tuned with details", "backoff-v4", "backoff/v4 defaults with InitialInterval 1s: ±50%, x1.5, max 60 s", "backoff/v4 defaults with InitialInterval 1s, all back by 0.10 s"},
		{"unknown", "mine", "a constant 1 s", "mine: a constant 1 s, all back by 0.10 s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &series{strategy: tt.strategy, what: tt.what, clients: 2, tMs: []int{0, 50}, accepts: []int{1, 1}}
			if got := legendLabel(s); got != tt.want {
				t.Errorf("legend %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRejectsBadInput(t *testing.T) {
	rows := strings.SplitAfter(tiny, "\n")
	tests := []struct {
		name, csv, scenario, want string
	}{
		{"empty", "", "drop", "header"},
		{"other header", "a,b,c,d,e,f,g,h,i\n", "drop", "header"},
		{"no rows", rows[0], "drop", "no rows"},
		{"not a number", rows[0] + "drop,ours,x,simulated,4,200,2,0,many\n", "drop", "column accepts"},
		{"short row", rows[0] + "drop,ours\n", "drop", "wrong number of fields"},
		{"unknown scenario", tiny, "flood", `no run of scenario "flood"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := load(strings.NewReader(tt.csv))
			if err == nil {
				_, err = draw(runs, tt.scenario, "")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one that says %q", err, tt.want)
			}
		})
	}
}
