package andon_test

import (
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

const digest = "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseImage(t *testing.T) {
	tests := []struct {
		ref      string
		wantRepo string
		wantTag  string
		wantErr  string
	}{
		{ref: "registry.example.com/odoo/odoo@" + digest, wantRepo: "registry.example.com/odoo/odoo"},
		{ref: "registry.example.com:5000/odoo:17.0@" + digest, wantRepo: "registry.example.com:5000/odoo", wantTag: "17.0"},
		{ref: "odoo@" + digest, wantRepo: "odoo"},
		{ref: "odoo:17.0", wantErr: "not pinned by digest"},
		{ref: "odoo@sha256:abc", wantErr: "digest"},
		{ref: "Odoo@" + digest, wantErr: "repository"},
		{ref: "odoo:bad tag@" + digest, wantErr: "tag"},
		{ref: "", wantErr: "image: required"},
		{ref: "[::1]:5000/odoo/odoo:17.0@" + digest, wantRepo: "[::1]:5000/odoo/odoo", wantTag: "17.0"},
		{ref: "[fd00::2]/odoo@" + digest, wantRepo: "[fd00::2]/odoo"},
		{ref: "[::1]:5000@" + digest, wantErr: "repository"},
		{ref: "[::1]@" + digest, wantErr: "repository"},
		{ref: "registry.example.com/" + strings.Repeat("a", 234) + "@" + digest, wantRepo: "registry.example.com/" + strings.Repeat("a", 234)},
		{ref: "registry.example.com/" + strings.Repeat("a", 235) + "@" + digest, wantErr: "repository is 256 bytes long, longer than 255"},
		{ref: "registry.example.com/odoo:" + strings.Repeat("a", 1<<20) + "@" + digest, wantErr: "image: 1048674 bytes long; a reference pinned by digest is at most 456"},
	}
	for _, tt := range tests {
		img, err := andon.ParseImage(tt.ref)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || andon.ErrorCode(err) != andon.EINVALID {
				t.Errorf("ParseImage(%.80q) error = %.200v, want invalid containing %q", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseImage(%q): %v", tt.ref, err)
			continue
		}
		if img.Repository != tt.wantRepo || img.Tag != tt.wantTag || img.Digest != digest {
			t.Errorf("ParseImage(%q) = %+v, want repo %q tag %q", tt.ref, img, tt.wantRepo, tt.wantTag)
		}
	}
}

func FuzzParseImage(f *testing.F) {
	f.Add("registry.example.com/odoo:17.0@" + digest)
	f.Add("odoo:17")
	f.Fuzz(func(t *testing.T, ref string) {
		img, err := andon.ParseImage(ref)
		if err != nil {
			return
		}
		again, err := andon.ParseImage(img.String())
		if err != nil || again.Repository != img.Repository || again.Digest != img.Digest {
			t.Fatalf("canonical form %q of %q does not parse back: %v", img.String(), ref, err)
		}
	})
}

// A registry that parses begins image references: its images, named
// under it, parse with it as their repository's start.
func FuzzParseRegistry(f *testing.F) {
	for _, s := range []string{"registry.example.com", "harbor.lyon:5000/", "[fd00::2]:5000", "ghcr.io/acme", "https://x/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := andon.ParseRegistry(s)
		if err != nil || len(r) > 200 {
			return
		}
		img, err := andon.ParseImage(r + "/odoo:17.0@" + digest)
		if err != nil || !strings.HasPrefix(img.Repository, r+"/") {
			t.Fatalf("registry %q of %q names no image: %v", r, s, err)
		}
	})
}

func TestParseRegistry(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "registry.example.com", want: "registry.example.com"},
		{in: "harbor.lyon:5000/", want: "harbor.lyon:5000"},
		{in: "registry.example.com/odoo", want: "registry.example.com/odoo"},
		{in: "localhost:5000", want: "localhost:5000"},
		{in: "", wantErr: `"" is not a registry`},
		{in: "https://x/", wantErr: `"https://x/" is not a registry: image references name it without a scheme; drop https://, as in "x"`},
		{in: "registry example.com", wantErr: "is not a registry"},
		{in: "registry.example.com/odoo@sha256", wantErr: "is not a registry"},
		{in: "Registry.example.com", wantErr: "in lower case"},
		{in: "[fd00::2]:5000", want: "[fd00::2]:5000"},
		{in: "[fd00::2]/odoo", want: "[fd00::2]/odoo"},
		{in: "xn--bcher-kva.example", want: "xn--bcher-kva.example"},
		{in: "ghcr.io/acme-corp/", want: "ghcr.io/acme-corp"},
		{in: "123456789012.dkr.ecr.eu-west-3.amazonaws.com", want: "123456789012.dkr.ecr.eu-west-3.amazonaws.com"},
		{in: "-registry.example.com", wantErr: "is not a registry"},
		{in: "registry..example.com", wantErr: "is not a registry"},
		{in: "[fd00::2", wantErr: "is not a registry"},
		{in: "registry.example.com/Odoo", wantErr: "is not a registry"},
	}
	for _, tt := range tests {
		got, err := andon.ParseRegistry(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(andon.ErrorMessage(err), tt.wantErr) || andon.ErrorCode(err) != andon.EINVALID {
				t.Errorf("ParseRegistry(%q) = %q, %v; want invalid containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRegistry(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestIsDNSLabel(t *testing.T) {
	for s, want := range map[string]bool{
		"odoo-lyon": true, "a": true, "0ab": true, strings.Repeat("a", 63): true,
		"": false, strings.Repeat("a", 64): false, "Bad_NS!": false, "-a": false, "a-": false, "a.b": false,
	} {
		if got := andon.IsDNSLabel(s); got != want {
			t.Errorf("IsDNSLabel(%q) = %v, want %v", s, got, want)
		}
	}
}
