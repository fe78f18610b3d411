package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// verifyResult is the outcome of checking entries against the signed
// checkpoint.
type verifyResult struct {
	At time.Time
	By string
	// Of says which entries were checked, for the audit page: "the
	// entries of change CHG-12", "the entries of actor argocd".
	Of       string
	Size     int64 // the checkpoint's tree size
	Checked  int
	Failures []string
}

// OK reports whether every entry checked is in the signed tree.
func (v *verifyResult) OK() bool { return len(v.Failures) == 0 }

// verifyEntries checks, on the server, that each entry is in the tree of
// the current signed checkpoint: the checkpoint's signature with the log's
// public key, then each entry's inclusion proof up to its signed root
// (auditlog.CheckProof). andon audit verify does the same for the whole
// log, offline.
func (h *Handler) verifyEntries(ctx context.Context, of string, entries []*andon.Entry) (*verifyResult, error) {
	cp, err := h.cfg.Audit.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	res := &verifyResult{At: h.cfg.Now(), By: andon.UserNameFromContext(ctx), Of: of, Size: cp.Size}
	v, err := note.NewVerifier(cp.VerifierKey)
	if err != nil {
		res.Failures = append(res.Failures, fmt.Sprintf("the checkpoint's public key cannot be read: %v", err))
		return res, nil
	}
	if _, err := auditlog.OpenCheckpoint([]byte(cp.Note), v); err != nil {
		res.Failures = append(res.Failures, "the checkpoint's signature does not verify: "+andon.ErrorMessage(err))
		return res, nil
	}
	for _, e := range entries {
		if e.Index >= cp.Size {
			continue // appended after the checkpoint was read
		}
		p, err := h.cfg.Audit.Proof(ctx, e.Index)
		if err != nil {
			return nil, err
		}
		res.Checked++
		if err := auditlog.CheckProof(p, v); err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("entry %d: %s", e.Index, andon.ErrorMessage(err)))
		}
	}
	return res, nil
}

// changeVerify verifies the inclusion proofs of a change's audit entries
// and shows the result on its page.
func (h *Handler) changeVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := h.changeView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if v.Verify, err = h.verifyEntries(r.Context(), "the entries of change "+v.Change.ID, v.Entries); err != nil {
		return err
	}
	h.remember(v.Verify)
	return h.render(w, r, http.StatusOK, "change", v)
}

// remember keeps res as the last verification, shown on the audit page,
// and as the last that failed when it failed.
func (h *Handler) remember(res *verifyResult) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastVerify = res
	if !res.OK() {
		h.lastFailed = res
	}
}

// last returns the last verification and the last that failed, or nil
// for each there has not been. A failure stays in view however many
// checks succeed after it: one of other entries says nothing of those
// that failed.
func (h *Handler) last() (last, failed *verifyResult) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastVerify, h.lastFailed
}
