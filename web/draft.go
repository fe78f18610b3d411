package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"

	"github.com/andon-governance/andon"
)

// A form that ends a change (Reject, Cancel, …) leads to a page that asks
// to confirm it (changeConfirm), which carries the comment typed. The page
// is got, not posted, so that the browser's Back and Forward reach it
// again without offering to post a form; but the comment is not put in
// its address, which the browser keeps in its history and proxies write
// in their logs, and a rejection's reason is neither's business. It goes
// in a draft cookie instead, sent only to that change's confirmation page
// (its Path), for an hour, sealed (AES-GCM) with a key derived from the
// session token: only the session that typed it opens it, and once that
// session ends (signing out) nobody at the browser reads it. Posting the
// confirmation clears it.
const (
	draftCookie         = "__Secure-andon_draft"
	insecureDraftCookie = "andon_draft"
	draftLifetime       = time.Hour
	// maxDraftValue bounds a draft cookie's value: browsers keep cookies
	// of 4096 bytes, name and attributes included, and nginx, in front of
	// many a server, takes an upstream's answer whose header fits in
	// 4 KiB only (ingress-nginx's default proxy-buffer-size), answering
	// 502 Bad Gateway for more; the answer that sets the cookie carries
	// some 500 bytes of other headers. A comment too long for it (some
	// 2,000 bytes) is carried by the confirmation page answered to the
	// form's POST itself (askToConfirm).
	maxDraftValue = 2800
)

// draftCookieName is the name of the draft cookie as this server sends it:
// the __Secure- prefix makes browsers take it only over HTTPS, Secure.
func (h *Handler) draftCookieName() string {
	if h.cfg.InsecureCookies {
		return insecureDraftCookie
	}
	return draftCookie
}

// draftKey derives the key that seals a session's drafts from its session
// token, which only the holder of the session cookie knows.
func draftKey(token string) []byte {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("andon draft v1"))
	return mac.Sum(nil)
}

// draftAEAD is the AES-GCM of a session's draft key.
func (s *session) draftAEAD() cipher.AEAD {
	block, err := aes.NewCipher(s.draftKey)
	if err != nil {
		panic(err) // a key of 32 bytes is always an AES-256 key
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// draftLabel binds a sealed comment to the change and the ending it was
// typed for, so that it is not shown on another's confirmation.
func draftLabel(id string, to andon.State) []byte {
	return []byte(id + "\x00" + string(to))
}

// sealDraft seals comment for the confirmation of ending change id in to.
func (s *session) sealDraft(id string, to andon.State, comment string) string {
	aead := s.draftAEAD()
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(comment), draftLabel(id, to)))
}

// openDraft returns the comment sealed in value for the confirmation of
// ending change id in to, or "" when value was sealed by another session,
// for another confirmation, or is no draft.
func (s *session) openDraft(value, id string, to andon.State) string {
	b, err := base64.RawURLEncoding.DecodeString(value)
	aead := s.draftAEAD()
	if err != nil || len(b) < aead.NonceSize() {
		return ""
	}
	comment, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], draftLabel(id, to))
	if err != nil {
		return ""
	}
	return string(comment)
}

// confirmPath is the page that asks to confirm ending change id in to.
func confirmPath(id string, to andon.State) string {
	return confirmBase(id) + "?" + url.Values{"to": {string(to)}}.Encode()
}

// confirmBase is the path of change id's confirmation page, whatever the
// ending: the draft cookie's Path.
func confirmBase(id string) string {
	return "/changes/" + url.PathEscape(id) + "/confirm"
}

// askToConfirm answers a form that ends change id in to, with the comment
// typed: it keeps the comment in the draft cookie of the confirmation
// page, and sends the browser there. A comment too long for a cookie is
// rather carried by the confirmation page itself, the answer of this POST,
// in its form: it stays out of every address, and the browser's Back to
// that page offers to post the form again, as it does after any POST.
func (h *Handler) askToConfirm(w http.ResponseWriter, r *http.Request, id string, to andon.State, comment string) error {
	if comment == "" {
		h.clearDraft(w, id)
	} else {
		sealed := sessionOf(r).sealDraft(id, to, comment)
		if len(sealed) > maxDraftValue {
			h.clearDraft(w, id)
			return h.confirmPage(w, r, id, to, comment)
		}
		h.setDraft(w, id, sealed, int(draftLifetime/time.Second))
	}
	http.Redirect(w, r, confirmPath(id, to), http.StatusSeeOther)
	return nil
}

// draft returns the comment the draft cookie of the request carries for
// the confirmation of ending change id in to, or "".
func (h *Handler) draft(r *http.Request, id string, to andon.State) string {
	c, err := r.Cookie(h.draftCookieName())
	if err != nil {
		return ""
	}
	return sessionOf(r).openDraft(c.Value, id, to)
}

// clearDraft clears the draft cookie of change id's confirmation page.
func (h *Handler) clearDraft(w http.ResponseWriter, id string) {
	h.setDraft(w, id, "", -1)
}

// setDraft sets the draft cookie of change id's confirmation page.
func (h *Handler) setDraft(w http.ResponseWriter, id, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     h.draftCookieName(),
		Value:    value,
		Path:     confirmBase(id),
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !h.cfg.InsecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}
