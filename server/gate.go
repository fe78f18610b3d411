package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/andon-governance/andon"
)

// handleGate answers whether an image may be deployed. It always answers
// with a GateResult, whatever went wrong, because enforcement points read
// the body: 200 when the gate decided, and otherwise the status of the
// error with allow false. It never lets allow true out with another
// status, so a client that checks only one of the two still fails closed.
func handleGate(logger *slog.Logger, gate andon.GateService, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		result, err := decideGate(w, r, gate)
		if err == nil && result == nil {
			err = errors.New("the gate service returned neither a result nor an error")
		}
		if err == nil {
			result.Reasons = nonNil(result.Reasons)
			if err = encode(w, http.StatusOK, result); err == nil {
				if result.Allow {
					m.observeGate(gateAllow)
				} else {
					m.observeGate(gateDeny)
				}
				return
			}
		}

		if abandoned(r, err) {
			// The client went away before the gate decided: nothing was
			// decided or recorded. No gate error, which alerts.
			writeAbandoned(logger, w, r, "gate request abandoned by its client")
			return
		}
		status, body := errorOf(err)
		if status >= http.StatusInternalServerError {
			m.observeGate(gateError)
		} else {
			m.observeGate(gateClientError)
		}
		if status == http.StatusInternalServerError {
			logInternal(logger, r, "gate could not decide", err)
		}
		denied := andon.GateResult{Reasons: []andon.Reason{}}
		if result != nil {
			denied = *result
			denied.Reasons = nonNil(denied.Reasons)
		}
		// A result that allowed despite the error is a broken promise of
		// the service; its reasons cannot explain a denial.
		if len(denied.Reasons) == 0 || denied.Allow {
			denied.Reasons = append(denied.Reasons, andon.Reason{Code: andon.ReasonInternal, Message: cannotDecide(r, status, body)})
		}
		denied.Allow = false
		if encErr := encode(w, status, &denied); encErr != nil {
			// The service's result itself cannot be encoded: fall back to
			// a body that surely can, still denying.
			_ = encode(w, status, &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: internalMessageOf(r)}}})
		}
	})
}

// cannotDecide is the message of the reason the handler adds when the
// service gave none. An internal error is summarised with the request id,
// which leads to the details in the log.
func cannotDecide(r *http.Request, status int, body *andon.Error) string {
	if status == http.StatusInternalServerError {
		return "the gate could not decide, so the deployment must not go ahead (request id " + infoFrom(r.Context()).id + ")"
	}
	return body.Message
}

// gateBody is the body of a gate request. The members start and
// admission, which only the server and its admission webhook set, are
// read whatever their value, so that the body is refused when it has
// them at all: "start": false or "admission": null would otherwise be
// read as their absence, and a gate does not guess what a body that
// names them meant.
type gateBody struct {
	andon.GateRequest
	Start     json.RawMessage `json:"start"`
	Admission json.RawMessage `json:"admission"`
}

// decideGate decodes the request and asks the gate.
func decideGate(w http.ResponseWriter, r *http.Request, gate andon.GateService) (*andon.GateResult, error) {
	if _, err := parseQuery(r); err != nil {
		return nil, err
	}
	body, err := decode[gateBody](w, r)
	if err != nil {
		return nil, err
	}
	if body.Start != nil {
		// A change started by hand asks the gate through its transition.
		return nil, andon.Errorf(andon.EINVALID, "start: set only when a change is started (POST /api/v1/changes/{id}/transitions), not in a gate request")
	}
	if body.Admission != nil {
		// Only the admission webhook speaks for the API server.
		return nil, andon.Errorf(andon.EINVALID, "admission: set only by the admission webhook, not in a gate request")
	}
	return gate.Decide(r.Context(), body.GateRequest)
}
