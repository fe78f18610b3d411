package auditlog_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := auditlog.LoadOrCreateKey(dir, "andon")
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for file, want := range map[string]os.FileMode{"audit.key": 0o600, "audit.pub": 0o644} {
			fi, err := os.Stat(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode %v, want %v", file, got, want)
			}
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "audit.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(pub)), first.VerifierKey(); got != want {
		t.Errorf("audit.pub = %q, want %q", got, want)
	}
	if !strings.HasPrefix(first.VerifierKey(), "andon+") {
		t.Errorf("VerifierKey = %q, want the name andon", first.VerifierKey())
	}

	// Later calls reuse the key, and audit.pub is rewritten if lost.
	if err := os.Remove(filepath.Join(dir, "audit.pub")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		again, err := auditlog.LoadOrCreateKey(dir, "andon")
		if err != nil {
			t.Fatal(err)
		}
		if again.VerifierKey() != first.VerifierKey() {
			t.Fatalf("second load: VerifierKey = %q, want %q", again.VerifierKey(), first.VerifierKey())
		}
	}

	// Checkpoints of the reloaded key verify with the key file.
	s, err := auditlog.LoadOrCreateKey(dir, "andon")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.LoadVerifier(filepath.Join(dir, "audit.pub"))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := s.Sign(1, tlog.RecordHash([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.OpenCheckpoint([]byte(cp.Note), v); err != nil {
		t.Errorf("OpenCheckpoint with audit.pub: %v", err)
	}
}

func TestLoadOrCreateKeyErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) // prepares dir
		origin string
		code   string
	}{{
		name:   "empty name",
		origin: "",
		code:   andon.EINVALID,
	}, {
		name:   "name with space",
		origin: "an don",
		code:   andon.EINVALID,
	}, {
		name:   "name with plus",
		origin: "an+don",
		code:   andon.EINVALID,
	}, {
		name: "key of another name",
		setup: func(t *testing.T, dir string) {
			mustWriteKeyFiles(t, dir, "other")
		},
		origin: "andon",
		code:   andon.ECONFLICT,
	}, {
		name: "verifier key of another key",
		setup: func(t *testing.T, dir string) {
			mustWriteKeyFiles(t, dir, "andon")
			_, vkey, err := note.GenerateKey(rand.Reader, "andon")
			if err != nil {
				t.Fatal(err)
			}
			mustWriteFile(t, filepath.Join(dir, "audit.pub"), vkey)
		},
		origin: "andon",
		code:   andon.ECONFLICT,
	}, {
		name: "garbage key",
		setup: func(t *testing.T, dir string) {
			mustWriteFile(t, filepath.Join(dir, "audit.key"), "PRIVATE+KEY+andon+nothex+AAAA")
		},
		origin: "andon",
		code:   andon.EINTERNAL,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			s, err := auditlog.LoadOrCreateKey(dir, tt.origin)
			if err == nil {
				t.Fatalf("LoadOrCreateKey = %v, want error", s.VerifierKey())
			}
			if code := andon.ErrorCode(err); code != tt.code {
				t.Errorf("error code %q, want %q (%v)", code, tt.code, err)
			}
		})
	}
}

func mustWriteKeyFiles(t *testing.T, dir, name string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, filepath.Join(dir, "audit.key"), skey)
	mustWriteFile(t, filepath.Join(dir, "audit.pub"), vkey)
}

func mustWriteFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSignOpenCheckpoint(t *testing.T) {
	s, v := mustSigner(t, "andon")
	root := tlog.RecordHash([]byte("root"))
	for _, size := range []int64{0, 1, 1 << 40} {
		cp, err := s.Sign(size, root)
		if err != nil {
			t.Fatal(err)
		}
		wantText := fmt.Sprintf("andon\n%d\n%s\n\n— andon ", size, root)
		if !strings.HasPrefix(cp.Note, wantText) {
			t.Errorf("note %q, want it to begin %q", cp.Note, wantText)
		}
		want := &andon.Checkpoint{Origin: "andon", Size: size, RootHash: root.String(), Note: cp.Note, VerifierKey: s.VerifierKey()}
		if diff := cmp.Diff(want, cp); diff != "" {
			t.Errorf("Sign (-want +got):\n%s", diff)
		}
		got, err := auditlog.OpenCheckpoint([]byte(cp.Note), v)
		if err != nil {
			t.Fatal(err)
		}
		want.VerifierKey = ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("OpenCheckpoint (-want +got):\n%s", diff)
		}
	}
	if cp, err := s.Sign(-1, root); err == nil {
		t.Errorf("Sign(-1) = %+v, want error", cp)
	}
}

func TestOpenCheckpointRejects(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "andon")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(text string) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	root := tlog.RecordHash(nil).String()
	good := sign("andon\n5\n" + root + "\n")
	if _, err := auditlog.OpenCheckpoint(good, v); err != nil {
		t.Fatalf("good checkpoint: %v", err)
	}
	withExtension := sign("andon\n5\n" + root + "\nextension line\n")
	if _, err := auditlog.OpenCheckpoint(withExtension, v); err != nil {
		t.Errorf("checkpoint with an extension line: %v", err)
	}

	other, otherV := mustSigner(t, "andon")
	otherCP, err := other.Sign(5, tlog.RecordHash(nil))
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(strings.Clone(string(good)))
	flipped[len(flipped)-5] ^= 1 // inside the base64 signature
	tests := []struct {
		name   string
		signed []byte
		v      note.Verifier
		want   string // in the message
	}{
		{"no verifier", good, nil, "no verifier"},
		{"altered body", []byte(strings.Replace(string(good), "\n5\n", "\n6\n", 1)), v, "does not verify"},
		{"altered signature", flipped, v, "checkpoint"},
		{"signed by another key", []byte(otherCP.Note), v, "not signed by"},
		{"checked with another key", good, otherV, "not signed by"},
		{"not a note", []byte("andon\n5\n"), v, "well-formed"},
		{"two lines", sign("andon\n5\n"), v, "fewer than three"},
		{"other origin", sign("other\n5\n" + root + "\n"), v, "for log"},
		{"size with leading zero", sign("andon\n05\n" + root + "\n"), v, "size"},
		{"size with plus", sign("andon\n+5\n" + root + "\n"), v, "size"},
		{"negative size", sign("andon\n-5\n" + root + "\n"), v, "size"},
		{"root not base64", sign("andon\n5\nnot-base64!\n"), v, "root"},
		{"root too short", sign("andon\n5\nAAAA\n"), v, "root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp, err := auditlog.OpenCheckpoint(tt.signed, tt.v)
			if err == nil {
				t.Fatalf("OpenCheckpoint = %+v, want error", cp)
			}
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Errorf("error code %q, want %q (%v)", code, andon.EINVALID, err)
			}
			if msg := andon.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to mention %q", msg, tt.want)
			}
		})
	}
}

func TestLoadVerifierErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := auditlog.LoadVerifier(filepath.Join(dir, "absent.pub")); err == nil {
		t.Error("LoadVerifier of a missing file: no error")
	}
	path := filepath.Join(dir, "bad.pub")
	mustWriteFile(t, path, "andon+00000000+AAAA")
	if _, err := auditlog.LoadVerifier(path); andon.ErrorCode(err) != andon.EINVALID {
		t.Errorf("LoadVerifier of a bad key: %v, want code %s", err, andon.EINVALID)
	}
	// The signing key, given for the verifier key beside it, is named as
	// such, and its secret text is not repeated.
	if _, err := auditlog.LoadOrCreateKey(dir, "andon"); err != nil {
		t.Fatal(err)
	}
	_, err := auditlog.LoadVerifier(auditlog.KeyPath(dir))
	want := auditlog.KeyPath(dir) + " is the signing key, which is secret, not a verifier key: give audit.pub"
	if msg := andon.ErrorMessage(err); andon.ErrorCode(err) != andon.EINVALID || !strings.HasPrefix(msg, want) || strings.Contains(msg, "PRIVATE") {
		t.Errorf("LoadVerifier of the signing key: %v; want code %s and %q", err, andon.EINVALID, want)
	}
}
