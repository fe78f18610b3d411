package andon

import (
	"regexp"
	"strings"
)

// Image is a container image reference pinned by digest, such as
// registry.example.com/odoo/odoo@sha256:<64 hex digits>.
type Image struct {
	Repository string `json:"repository"` // registry host and path
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest"` // "sha256:<hex>"
}

// String returns the canonical form: repository@digest.
func (i Image) String() string { return i.Repository + "@" + i.Digest }

// The distribution's reference grammar, in lower case: a registry host
// (a DNS name whose labels may hold runs of '-', as punycode ones do, or
// an IPv6 address in brackets) with an optional port, and path
// components.
const (
	hostGrammar = `(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`
	pathGrammar = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
)

var (
	// A repository is path components, the first of which may be a
	// registry host: registry.example.com/odoo/odoo, [fd00::2]:5000/odoo,
	// or odoo alone.
	repoPattern = regexp.MustCompile(`^(?:` + hostGrammar + `/)?` + pathGrammar + `(?:/` + pathGrammar + `)*$`)
	// A registry is a host, and maybe the path its images begin with.
	registryPattern = regexp.MustCompile(`^` + hostGrammar + `(?:/` + pathGrammar + `)*$`)
	tagPattern      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern   = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// The longest parts of a reference, as registries take them: a repository
// (registry host and path) of 255 bytes and a tag of 128; with the digest
// and the separators, a whole reference of MaxImageReference bytes.
const (
	maxRepository     = 255
	MaxImageReference = maxRepository + 1 + 128 + 1 + len("sha256:") + 64
)

// ParseImage parses an image reference that must be pinned by digest. A tag
// may stand beside the digest (repo:tag@sha256:…); it is kept but not used
// for matching.
func ParseImage(ref string) (Image, error) {
	switch {
	case ref == "":
		return Image{}, Errorf(EINVALID, "image: required, a reference pinned by digest (REPOSITORY@sha256:<64 hex digits>)")
	case len(ref) > MaxImageReference:
		// Not repeated: it would fill the message, and the audit log.
		return Image{}, Errorf(EINVALID, "image: %d bytes long; a reference pinned by digest is at most %d (a repository of %d, a tag of 128 and the digest)", len(ref), MaxImageReference, maxRepository)
	}
	name, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return Image{}, Errorf(EINVALID, "image %q is not pinned by digest (want REPOSITORY@sha256:<64 hex digits>)", ref)
	}
	if !digestPattern.MatchString(digest) {
		return Image{}, Errorf(EINVALID, "image %q: digest %q is not sha256:<64 lowercase hex digits>", ref, digest)
	}
	img := Image{Repository: name, Digest: digest}
	// A colon after the last slash separates a tag; one before it is a
	// registry port, and those of an IPv6 address in brackets are its own.
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") && i > strings.LastIndex(name, "]") {
		img.Repository, img.Tag = name[:i], name[i+1:]
		if !tagPattern.MatchString(img.Tag) {
			return Image{}, Errorf(EINVALID, "image %q: tag %q is not valid", ref, img.Tag)
		}
	}
	if len(img.Repository) > maxRepository {
		return Image{}, Errorf(EINVALID, "image %q: repository is %d bytes long, longer than %d", ref, len(img.Repository), maxRepository)
	}
	if !repoPattern.MatchString(img.Repository) {
		return Image{}, Errorf(EINVALID, "image %q: repository %q is not a valid name", ref, img.Repository)
	}
	return img, nil
}

// ParseRegistry returns the image registry s names, as the catalog's
// kubernetes.registries and andon policy test --allowed-registry give it:
// a host (registry.example.com, harbor.lyon:5000) or a host and path
// (registry.example.com/odoo), written as image references begin, since
// the manifest rules compare it with their text. A trailing "/" is
// dropped.
func ParseRegistry(s string) (string, error) {
	if s == "" {
		return "", Errorf(EINVALID, `"" is not a registry: want a host (registry.example.com, harbor.lyon:5000) or a host and path (registry.example.com/odoo)`)
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		return "", Errorf(EINVALID, "%q is not a registry: image references name it without a scheme; drop %s://, as in %q", s, scheme, strings.TrimSuffix(rest, "/"))
	}
	r := strings.TrimSuffix(s, "/")
	if !registryPattern.MatchString(r) {
		lower := ""
		if registryPattern.MatchString(strings.ToLower(r)) {
			lower = ", in lower case"
		}
		return "", Errorf(EINVALID, "%q is not a registry: want a host (registry.example.com, harbor.lyon:5000, [fd00::2]:5000) or a host and path (registry.example.com/odoo)%s", s, lower)
	}
	return r, nil
}
