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

var (
	repoPattern   = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// ParseImage parses an image reference that must be pinned by digest. A tag
// may stand beside the digest (repo:tag@sha256:…); it is kept but not used
// for matching.
func ParseImage(ref string) (Image, error) {
	if ref == "" {
		return Image{}, Errorf(EINVALID, "image: required, a reference pinned by digest (REPOSITORY@sha256:<64 hex digits>)")
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
	// registry port.
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		img.Repository, img.Tag = name[:i], name[i+1:]
		if !tagPattern.MatchString(img.Tag) {
			return Image{}, Errorf(EINVALID, "image %q: tag %q is not valid", ref, img.Tag)
		}
	}
	if !repoPattern.MatchString(img.Repository) {
		return Image{}, Errorf(EINVALID, "image %q: repository %q is not a valid name", ref, img.Repository)
	}
	return img, nil
}
