package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/andon-governance/andon"
)

// maxAccessList is the most requests each table of /access lists.
const maxAccessList = 200

// accessListView is the data of the page of just-in-time access: the
// pending requests, each with the forms that decide it for those who
// may, and the active grants.
type accessListView struct {
	Pending []accessRow
	Active  []*andon.AccessRequest
	// Eligible are the teams that list the user as eligible, whose roles
	// andon access request asks for.
	Eligible []*andon.Team
	// Error is the refusal of a decision, and ID the request it was of.
	Error, ID, Comment string
	Done               string
}

// accessRow is a pending request, with whether the user may decide it.
type accessRow struct {
	*andon.AccessRequest
	// MayDecide says that the user is a standing member of its team and
	// not its requester, in a session that writes.
	MayDecide bool
}

// accessDone are the confirmations shown after a successful form.
var accessDone = map[string]string{
	"approved": "The request is approved: its requester holds the team's roles until the grant ends.",
	"rejected": "The request is rejected.",
}

// accessPage lists the pending requests for just-in-time access and the
// active grants.
func (h *Handler) accessPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.accessList(r)
	if err != nil {
		return err
	}
	v.Done = accessDone[r.URL.Query().Get("done")]
	return h.render(w, r, http.StatusOK, "access", v)
}

// accessList reads the pending requests and the active grants.
func (h *Handler) accessList(r *http.Request) (*accessListView, error) {
	if h.cfg.Access == nil {
		return nil, andon.Errorf(andon.ENOTFOUND, "this server keeps no requests for access")
	}
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	pending, err := h.cfg.Access.FindAccessRequests(ctx, andon.AccessFilter{State: andon.AccessPending, Limit: maxAccessList})
	if err != nil {
		return nil, err
	}
	active, err := h.cfg.Access.FindAccessRequests(ctx, andon.AccessFilter{State: andon.AccessActive, Limit: maxAccessList})
	if err != nil {
		return nil, err
	}
	v := &accessListView{Active: active}
	user := andon.UserFromContext(ctx)
	for _, req := range pending {
		row := accessRow{AccessRequest: req}
		if t := cat.Team(req.Team); t != nil && user != nil && !user.ReadOnly {
			row.MayDecide = user.Name != req.User && slices.Contains(t.Members, user.Name)
		}
		v.Pending = append(v.Pending, row)
	}
	if user != nil {
		for _, t := range cat.Teams {
			if slices.Contains(t.Eligible, user.Name) {
				v.Eligible = append(v.Eligible, t)
			}
		}
	}
	return v, nil
}

// accessApprove and accessReject decide a pending request with the
// comment of the form; a refusal is shown on the page, beside the
// request, with the comment given back.
func (h *Handler) accessApprove(w http.ResponseWriter, r *http.Request) error {
	return h.accessDecide(w, r, "approved")
}

func (h *Handler) accessReject(w http.ResponseWriter, r *http.Request) error {
	return h.accessDecide(w, r, "rejected")
}

func (h *Handler) accessDecide(w http.ResponseWriter, r *http.Request, done string) error {
	if h.cfg.Access == nil {
		return andon.Errorf(andon.ENOTFOUND, "this server keeps no requests for access")
	}
	decide := h.cfg.Access.ApproveAccess
	if done == "rejected" {
		decide = h.cfg.Access.RejectAccess
	}
	id := r.PathValue("id")
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	_, err := decide(r.Context(), id, comment)
	if err == nil {
		http.Redirect(w, r, "/access?done="+done, http.StatusSeeOther)
		return nil
	}
	if andon.ErrorCode(err) == andon.EINTERNAL {
		return err
	}
	v, lerr := h.accessList(r)
	if lerr != nil {
		return lerr
	}
	v.Error, v.ID, v.Comment = andon.ErrorMessage(err), id, r.PostFormValue("comment")
	return h.render(w, r, statusOf(err), "access", v)
}
