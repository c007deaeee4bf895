// Package toxy embeds a toxiproxy TCP proxy in the test binary, so fault
// tests need no external process. Proxies listen on loopback only.
package toxy

import (
	"context"
	"fmt"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Proxy forwards a loopback port to an upstream address and injects faults.
type Proxy struct {
	p *toxiproxy.Proxy
}

// Start starts a proxy to upstream ("host:port") on a free loopback port.
func Start(upstream string) (*Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "toxy", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("failed to start proxy: %w", err)
	}
	return &Proxy{p: p}, nil
}

// Addr is the proxy's listen address.
func (p *Proxy) Addr() string { return p.p.Listen }

// URL rewrites a ws:// or http:// URL of the upstream to go through the proxy.
func (p *Proxy) URL(upstreamURL string) string {
	i := strings.Index(upstreamURL, "://")
	rest := upstreamURL[i+3:]
	path := ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		path = rest[j:]
	}
	return "ws://" + p.Addr() + path
}

// Add adds a toxic. stream is "upstream" (client to server) or
// "downstream"; attrs are the toxic's attributes as JSON, e.g.
// `{"timeout":0}`.
func (p *Proxy) Add(name, typ, stream string, toxicity float32, attrs string) error {
	if attrs == "" {
		attrs = "{}"
	}
	body := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":%g,"attributes":%s}`, name, typ, stream, toxicity, attrs)
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		return fmt.Errorf("failed to add toxic %s: %w", name, err)
	}
	return nil
}

// Remove removes a toxic by name.
func (p *Proxy) Remove(name string) error {
	if err := p.p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		return fmt.Errorf("failed to remove toxic %s: %w", name, err)
	}
	return nil
}

// Reset removes every toxic.
func (p *Proxy) Reset() { p.p.Toxics.ResetToxics(context.Background()) }

// Stop closes the listener and every proxied connection.
func (p *Proxy) Stop() { p.p.Stop() }
