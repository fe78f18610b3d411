package andon

import (
	"slices"
	"time"
)

// Severities of manifest rules.
const (
	SeverityDeny = "deny"
	SeverityWarn = "warn"
)

// Scopes of manifest rules (ManifestRule.Scope).
const (
	ScopeObject = "object"
	ScopeSet    = "set"
)

// ManifestRule describes a rule of the manifest policy (package
// andon.manifests).
type ManifestRule struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	// Scope says what the rule needs to see: ScopeObject, the object it
	// reports alone, so that the admission webhook can enforce it on one
	// object at a time; or ScopeSet, other objects too (a NetworkPolicy
	// of the namespace, the ConfigMap holding odoo.conf), so that only a
	// whole set of manifests can be checked against it.
	Scope string `json:"scope"`
	Title string `json:"title"`
	// Anchor is the rule's heading in docs/manifests.md.
	Anchor string `json:"anchor"`
}

// ObjectRef names a Kubernetes object and where it was read.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	// Source is the template a Helm-rendered document came from.
	Source string `json:"source,omitempty"`
}

// ManifestFinding is one problem the manifest policy found in an object.
type ManifestFinding struct {
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	Message  string    `json:"message"`
	Object   ObjectRef `json:"object"`
	// Waiver names the waiver that excuses the finding, if one does.
	Waiver string `json:"waiver,omitempty"`
}

// Waiver excuses the findings of one manifest rule on the objects its
// selector matches, for a reason, by an owner, until it expires.
type Waiver struct {
	Name     string         `json:"name"`
	Rule     string         `json:"rule"`
	Selector WaiverSelector `json:"selector"`
	Reason   string         `json:"reason"`
	Owner    string         `json:"owner"`
	// Expires is the first instant the waiver no longer applies.
	Expires time.Time `json:"expires"`
}

// WaiverSelector picks Kubernetes objects; all fields given must match,
// and none given matches every object.
type WaiverSelector struct {
	Namespaces []string `json:"namespaces,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	Names      []string `json:"names,omitempty"`
}

// Matches reports whether the selector picks obj.
func (s WaiverSelector) Matches(obj ObjectRef) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return in(s.Namespaces, obj.Namespace) && in(s.Kinds, obj.Kind) && in(s.Names, obj.Name)
}

// Expired reports whether the waiver no longer applies at now.
func (w *Waiver) Expired(now time.Time) bool { return !now.Before(w.Expires) }

// Waive marks the findings that a waiver in force at now excuses, and
// returns the waivers that excused at least one and those that would
// have but have expired, each once, in catalog order.
func Waive(findings []ManifestFinding, waivers []*Waiver, now time.Time) (used, expired []*Waiver) {
	usedSet, expiredSet := map[*Waiver]bool{}, map[*Waiver]bool{}
	for i := range findings {
		f := &findings[i]
		for _, w := range waivers {
			if w.Rule != f.Rule || !w.Selector.Matches(f.Object) {
				continue
			}
			if w.Expired(now) {
				expiredSet[w] = true
				continue
			}
			f.Waiver = w.Name
			usedSet[w] = true
			break
		}
	}
	for _, w := range waivers {
		if usedSet[w] {
			used = append(used, w)
		} else if expiredSet[w] {
			expired = append(expired, w)
		}
	}
	return used, expired
}
