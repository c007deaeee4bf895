package main

import (
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The PNG's size: 768 x 432 pixels at 96 dpi.
const (
	width  = 8 * vg.Inch
	height = 4.5 * vg.Inch
)

// binMs is the width of the CSV's bins.
const binMs = 50

// looks gives each strategy the same colour and dash in every picture.
var looks = map[string]struct {
	color  color.RGBA
	dashes []vg.Length
	label  string
}{
	"fixed":      {color.RGBA{R: 230, G: 159, A: 255}, []vg.Length{vg.Points(6), vg.Points(3)}, "fixed 500 ms, no jitter"},
	"backoff-v4": {color.RGBA{R: 86, G: 130, B: 200, A: 255}, []vg.Length{vg.Points(2), vg.Points(2)}, "backoff/v4 defaults"},
	"ours":       {color.RGBA{R: 0, G: 140, B: 90, A: 255}, nil, "ours: policy.Default()"},
}

// scenarioTitles says what the server did, per scenario.
var scenarioTitles = map[string]string{
	"1012": "Server restart announced with 1012",
	"drop": "Server drops every TCP connection",
}

// draw plots the runs of scenario: accepts per 50 ms against the time
// since the restart, one step curve per strategy, the downtime shaded.
func draw(runs []*series, scenario, title string) (*plot.Plot, error) {
	runs = slices.DeleteFunc(slices.Clone(runs), func(s *series) bool { return s.scenario != scenario })
	if len(runs) == 0 {
		return nil, fmt.Errorf("failed to draw: no run of scenario %q in the CSV", scenario)
	}
	first := runs[0]
	p := plot.New()
	if title == "" {
		title = defaultTitle(first)
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.X.Label.Text = "time since the restart (s)"
	p.Y.Label.Text = "connections accepted per 50 ms"
	p.X.Tick.Marker = secondTicks{}
	p.Y.Tick.Marker = countTicks{}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())

	peak := 1
	for _, s := range runs {
		peak = max(peak, slices.Max(s.accepts))
	}
	down, err := downtime(first, float64(peak)*2)
	if err != nil {
		return nil, err
	}
	p.Add(down)
	p.Legend.Add("server down "+millis(first.downtimeMs)+": connections refused", down)
	end := 0.0
	for _, s := range runs {
		end = max(end, float64(s.tMs[len(s.tMs)-1]+2*binMs)/1000)
		line, err := curve(s)
		if err != nil {
			return nil, err
		}
		p.Add(line)
		p.Legend.Add(legendLabel(s), line)
	}
	// Headroom above the curves for the legend.
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = 0, float64(peak)*(1.2+0.1*float64(len(runs)))
	return p, nil
}

func defaultTitle(s *series) string {
	what, ok := scenarioTitles[s.scenario]
	if !ok {
		what = "Scenario " + s.scenario
	}
	return fmt.Sprintf("%s\n%s clients (%s); the server is down %s, then admits %s handshakes per 100 ms",
		what, thousands(s.clients), s.mode, millis(s.downtimeMs), thousands(s.capacity))
}

// curve is a step line through the bins, down to 0 after the last one.
func curve(s *series) (*plotter.Line, error) {
	pts := make(plotter.XYs, 0, len(s.tMs)+1)
	for i, t := range s.tMs {
		pts = append(pts, plotter.XY{X: float64(t) / 1000, Y: float64(s.accepts[i])})
	}
	pts = append(pts, plotter.XY{X: float64(s.tMs[len(s.tMs)-1]+binMs) / 1000, Y: 0})
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("failed to draw %s: %w", s.strategy, err)
	}
	line.StepStyle = plotter.PostStep
	line.Width = vg.Points(1.5)
	if look, ok := looks[s.strategy]; ok {
		line.Color, line.Dashes = look.color, look.dashes
		if s.strategy == "ours" {
			line.Width = vg.Points(2)
		}
	}
	return line, nil
}

// downtime shades the time the server was down.
func downtime(s *series, top float64) (*plotter.Polygon, error) {
	end := float64(s.downtimeMs) / 1000
	poly, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}, {X: end, Y: 0}, {X: end, Y: top}, {X: 0, Y: top}})
	if err != nil {
		return nil, fmt.Errorf("failed to draw the downtime: %w", err)
	}
	poly.Color = color.Gray{Y: 225}
	poly.LineStyle.Width = 0
	return poly, nil
}

// legendLabel names the strategy, and what was changed in it, and says
// when its last client was back.
func legendLabel(s *series) string {
	label := s.strategy + ": " + s.what
	if look, ok := looks[s.strategy]; ok {
		label = look.label
		// examples/herd -initial and -refused-spread describe a tuned
		// strategy as "<defaults> with <changes>[: <details>]".
		if _, tuned, ok := strings.Cut(s.what, " with "); ok {
			tuned, _, _ = strings.Cut(tuned, ":")
			label += " with " + tuned
		}
	}
	total := 0
	for i, a := range s.accepts {
		total += a
		if total >= s.clients {
			return fmt.Sprintf("%s, all back by %.2f s", label, float64(s.tMs[i]+binMs)/1000)
		}
	}
	return fmt.Sprintf("%s, %d of %d back", label, total, s.clients)
}

// millis writes a duration in milliseconds as "200 ms" or "2 s".
func millis(ms int) string {
	if ms >= 1000 && ms%1000 == 0 {
		return fmt.Sprintf("%d s", ms/1000)
	}
	return fmt.Sprintf("%d ms", ms)
}

// thousands writes n with commas: 2000 as "2,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
