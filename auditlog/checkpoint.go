package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/andon-governance/andon"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The key files LoadOrCreateKey keeps in its directory.
const (
	keyFile = "audit.key" // the note signer key; secret
	pubFile = "audit.pub" // the note verifier key; handed to auditors
)

// KeyPath returns the path of the signing key LoadOrCreateKey keeps in dir.
func KeyPath(dir string) string { return filepath.Join(dir, keyFile) }

// PubPath returns the path of the verifier key LoadOrCreateKey keeps in dir.
func PubPath(dir string) string { return filepath.Join(dir, pubFile) }

// Signer signs checkpoints with an Ed25519 note key. It is safe for
// concurrent use.
type Signer struct {
	origin string
	signer note.Signer
	vkey   string
}

// LoadOrCreateKey returns the signer whose key is in dir/audit.key,
// creating the key on first use. The key's name is origin, which is also
// the first line of every checkpoint it signs. dir/audit.pub receives the
// matching verifier key, for auditors and for `andon audit verify`.
//
// A key found under another name, or next to a verifier key that is not
// its own, is an error rather than something to repair: either means the
// files were swapped, and signing on would produce checkpoints that the
// published verifier key rejects.
func LoadOrCreateKey(dir, origin string) (*Signer, error) {
	if !validName(origin) {
		return nil, andon.Errorf(andon.EINVALID, "audit key name %q: must be non-empty UTF-8 without spaces or '+'", origin)
	}
	keyPath := filepath.Join(dir, keyFile)
	skey, err := os.ReadFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		skey, err = createKey(dir, origin)
	}
	if err != nil {
		return nil, fmt.Errorf("auditlog: signing key: %w", err)
	}
	s, err := newSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("auditlog: signing key %s: %w", keyPath, err)
	}
	if s.origin != origin {
		return nil, andon.Errorf(andon.ECONFLICT, "audit signing key %s is named %q, not %q", keyPath, s.origin, origin)
	}

	pubPath := filepath.Join(dir, pubFile)
	pub, err := os.ReadFile(pubPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := writeFileAtomic(pubPath, []byte(s.vkey+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("auditlog: verifier key: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("auditlog: verifier key: %w", err)
	case strings.TrimSpace(string(pub)) != s.vkey:
		return nil, andon.Errorf(andon.ECONFLICT, "audit verifier key %s does not belong to signing key %s", pubPath, keyPath)
	}
	return s, nil
}

// createKey generates a signer key and writes it to dir/audit.key, unless
// another process got there first, in which case it returns that key.
func createKey(dir, origin string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	// The key is written in full to a private file first and then linked
	// into place: a link never replaces an existing file, so two servers
	// starting at once cannot end up signing with different keys, and no
	// one ever reads a half-written key.
	tmp, err := writeTemp(dir, []byte(skey+"\n"), 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	keyPath := filepath.Join(dir, keyFile)
	if err := os.Link(tmp, keyPath); errors.Is(err, fs.ErrExist) {
		return os.ReadFile(keyPath)
	} else if err != nil {
		return nil, err
	}
	return []byte(skey), nil
}

// writeFileAtomic replaces path with data, so that readers see the old
// file or the new one but never a part.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(filepath.Dir(path), data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes data to a new file in dir with mode perm, whatever the
// umask, and returns its name.
func writeTemp(dir string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, ".audit-key-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// newSigner returns a Signer for a note signer key. The verifier key is
// derived from the signer key, so the two can never disagree.
func newSigner(skey string) (*Signer, error) {
	ns, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	// The key text is PRIVATE+KEY+<name>+<hash>+<base64 of algorithm byte
	// and seed>; note.NewSigner has just checked that layout. The name has
	// no '+', but the base64 may.
	parts := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, errors.New("not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(ns.Name(), pub)
	if err != nil {
		return nil, err
	}
	return &Signer{origin: ns.Name(), signer: ns, vkey: vkey}, nil
}

// VerifierKey returns the note verifier key that checks this signer's
// checkpoints, as written to audit.pub.
func (s *Signer) VerifierKey() string { return s.vkey }

// Sign returns the signed checkpoint of a tree of size records with the
// given root. The note's text is the body of a C2SP tlog-checkpoint:
// the origin, the size in decimal and the root in base64, one per line.
func (s *Signer) Sign(size int64, root tlog.Hash) (*andon.Checkpoint, error) {
	if size < 0 {
		return nil, fmt.Errorf("auditlog: sign checkpoint: negative size %d", size)
	}
	text := s.origin + "\n" + strconv.FormatInt(size, 10) + "\n" + root.String() + "\n"
	signed, err := note.Sign(&note.Note{Text: text}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("auditlog: sign checkpoint: %w", err)
	}
	return &andon.Checkpoint{
		Origin:      s.origin,
		Size:        size,
		RootHash:    root.String(),
		Note:        string(signed),
		VerifierKey: s.vkey,
	}, nil
}

// rollbackHeader is the first line of a signed rollback statement. It has
// spaces, which the name of a key cannot, so that a statement is never
// read as a checkpoint, nor a checkpoint as a statement.
const rollbackHeader = "andon audit rolled back"

// rollbackText is the text of the statement that rb records for the log
// of origin: the header, the origin, the restored log's size and root,
// the SHA-256 of the reason, then the size and root of each checkpoint
// lost, one a line.
func rollbackText(origin string, rb *andon.RolledBack) string {
	reason := sha256.Sum256([]byte(rb.Reason))
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%d\n%s\n%s\n", rollbackHeader, origin, rb.Size, rb.RootHash, base64.StdEncoding.EncodeToString(reason[:]))
	for _, c := range rb.Checkpoints {
		fmt.Fprintf(&b, "%d %s\n", c.Size, c.RootHash)
	}
	return b.String()
}

// SignRollback returns the statement of rb signed with s's key, for
// rb.Signature: what an audit.rolled_back entry records, vouched for by
// the holder of the key rather than by whoever could write the database.
func (s *Signer) SignRollback(rb *andon.RolledBack) (string, error) {
	signed, err := note.Sign(&note.Note{Text: rollbackText(s.origin, rb)}, s.signer)
	if err != nil {
		return "", fmt.Errorf("auditlog: sign rollback: %w", err)
	}
	return string(signed), nil
}

// CheckRollback checks that rb.Signature is the statement of rb (see
// SignRollback) signed with the key v verifies, and returns an EINVALID
// error that says why not.
func CheckRollback(rb *andon.RolledBack, v note.Verifier) error {
	if rb.Signature == "" {
		return andon.Errorf(andon.EINVALID, "it is not signed")
	}
	n, err := note.Open([]byte(rb.Signature), note.VerifierList(v))
	if err != nil {
		return andon.Errorf(andon.EINVALID, "its signature does not verify with key %s+%08x", v.Name(), v.KeyHash())
	}
	if n.Text != rollbackText(v.Name(), rb) {
		return andon.Errorf(andon.EINVALID, "its signature is for another statement than the entry's")
	}
	return nil
}

// LoadVerifier reads a note verifier key file such as audit.pub.
func LoadVerifier(path string) (note.Verifier, error) {
	_, v, err := LoadVerifierKey(path)
	return v, err
}

// LoadVerifierKey reads a note verifier key file such as audit.pub, and
// returns its text, as a checkpoint's VerifierKey shows it, with the
// verifier.
func LoadVerifierKey(path string) (string, note.Verifier, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, andon.Errorf(andon.ENOTFOUND, "no verifier key at %s", path)
	} else if err != nil {
		return "", nil, andon.Errorf(andon.EINVALID, "verifier key: %v", err)
	}
	text := strings.TrimSpace(string(b))
	// audit.key and audit.pub lie side by side, and the first is easily
	// given for the second; its text is secret, so it is not shown.
	if strings.HasPrefix(text, "PRIVATE+KEY+") {
		return "", nil, andon.Errorf(andon.EINVALID, "%s is the signing key, which is secret, not a verifier key: give audit.pub, the verifier key made with it", path)
	}
	v, err := note.NewVerifier(text)
	if err != nil {
		return "", nil, andon.Errorf(andon.EINVALID, "verifier key %s: %v", path, err)
	}
	return text, v, nil
}

// OpenCheckpoint checks the signature of a checkpoint note with v and
// parses its body. The origin line must be v's name, so that a checkpoint
// of one log is never taken for one of another. Extension lines after the
// root hash, which the checkpoint format allows, are ignored.
//
// VerifierKey is left empty: a note.Verifier does not reveal its key text.
func OpenCheckpoint(signed []byte, v note.Verifier) (*andon.Checkpoint, error) {
	if v == nil {
		return nil, andon.Errorf(andon.EINVALID, "no verifier key to check the checkpoint with")
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &invalid):
			return nil, andon.Errorf(andon.EINVALID, "the checkpoint signature does not verify with key %s+%08x", v.Name(), v.KeyHash())
		case errors.As(err, &unverified):
			return nil, andon.Errorf(andon.EINVALID, "the checkpoint is not signed by key %s+%08x", v.Name(), v.KeyHash())
		default:
			return nil, andon.Errorf(andon.EINVALID, "the checkpoint is not a well-formed signed note: %v", err)
		}
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return nil, andon.Errorf(andon.EINVALID, "the checkpoint has fewer than three lines")
	}
	origin, sizeText, rootText := lines[0], lines[1], lines[2]
	if origin != v.Name() {
		return nil, andon.Errorf(andon.EINVALID, "the checkpoint is for log %q, not %q", origin, v.Name())
	}
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeText {
		return nil, andon.Errorf(andon.EINVALID, "the checkpoint size %q is not a decimal count", sizeText)
	}
	if _, err := parseHash(rootText); err != nil {
		return nil, andon.Errorf(andon.EINVALID, "the checkpoint root %q is not a base64 SHA-256 hash", rootText)
	}
	return &andon.Checkpoint{Origin: origin, Size: size, RootHash: rootText, Note: string(signed)}, nil
}

// validName reports whether name can name a note key: non-empty UTF-8
// without spaces or plus signs, as golang.org/x/mod/sumdb/note requires.
func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsSpace) && !strings.Contains(name, "+")
}
