package config

import (
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaultsInDev(t *testing.T) {
	c, err := Load(env("RUCHE_DEV", "true"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.BaseURL(), "http://localhost:8080"; got != want {
		t.Errorf("BaseURL = %q, want %q", got, want)
	}
	if c.Addr != ":8080" || c.DataDir != "./var" || c.Secure() {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestLoadProduction(t *testing.T) {
	c, err := Load(env("RUCHE_HOST", "hive.example.com", "RUCHE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://hive.example.com" || !c.Secure() {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.168.1.7/32" {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) string
		want string
	}{
		{"addr not host:port", env("RUCHE_DEV", "true", "RUCHE_ADDR", "8080"), "RUCHE_ADDR"},
		{"addr bad port", env("RUCHE_DEV", "true", "RUCHE_ADDR", ":99999"), "RUCHE_ADDR"},
		{"addr bad host", env("RUCHE_DEV", "true", "RUCHE_ADDR", "exa mple:80"), "RUCHE_ADDR"},
		{"http outside dev", env("RUCHE_HOST", "h", "RUCHE_PROTOCOL", "http"), "RUCHE_PROTOCOL"},
		{"https with dev", env("RUCHE_DEV", "true", "RUCHE_PROTOCOL", "https"), "RUCHE_PROTOCOL"},
		{"unknown protocol", env("RUCHE_HOST", "h", "RUCHE_PROTOCOL", "gopher"), "RUCHE_PROTOCOL"},
		{"host needed in production", env(), "RUCHE_HOST"},
		{"host is a URL", env("RUCHE_HOST", "https://h/"), "RUCHE_HOST"},
		{"dev not a bool", env("RUCHE_DEV", "maybe"), "RUCHE_DEV"},
		{"cert without key", env("RUCHE_HOST", "h", "RUCHE_TLS_CERT", "c.pem"), "RUCHE_TLS_CERT"},
		{"bad proxy", env("RUCHE_DEV", "true", "RUCHE_TRUSTED_PROXIES", "10.0.0.0/33"), "RUCHE_TRUSTED_PROXIES"},
		{"bad log level", env("RUCHE_DEV", "true", "RUCHE_LOG_LEVEL", "loud"), "RUCHE_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	fs := FlagSet("serve", nil)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9000", "--dev"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env("RUCHE_ADDR", ":7000"), fs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Addr, "127.0.0.1:9000"; got != want {
		t.Errorf("Addr = %q, want %q", got, want)
	}
	if got, want := c.Host, "localhost:9000"; got != want {
		t.Errorf("Host = %q, want %q", got, want)
	}
}
