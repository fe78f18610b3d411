package andon

import (
	"context"
	"encoding/json"
	"time"
)

// Event types recorded in the audit log.
const (
	EventCatalogLoaded    = "catalog.loaded"
	EventPolicyLoaded     = "policy.loaded"
	EventTokenCreated     = "token.created"
	EventTokenRevoked     = "token.revoked"
	EventTokenRotated     = "token.rotated" // an API token replaced by another, the subject its user
	EventChangeCreated    = "change.created"
	EventChangeApproved   = "change.approved"
	EventChangeRejected   = "change.rejected"
	EventChangeTransition = "change.transitioned"
	EventChangeReviewed   = "change.reviewed"
	EventReviewOverdue    = "change.review_overdue"
	EventGateDecision     = "gate.decided"
	EventDriftChecked     = "drift.checked"
	// Incidents: opened (or opened again), updated by a later alert, and
	// resolved. The subject is the incident's ID.
	EventIncidentOpened   = "incident.opened"
	EventIncidentUpdated  = "incident.updated"
	EventIncidentResolved = "incident.resolved"
	// EventBackupRecorded records that a backup of an environment
	// completed; the subject is the environment.
	EventBackupRecorded = "backup.recorded"
	// EventRestoreTested records a restore test of a backup of an
	// environment's database; the subject is the environment.
	EventRestoreTested = "backup.restore_tested"
	// EventAuditRolledBack records that the log was restored to an
	// earlier point, with the signed checkpoints it no longer holds
	// (RolledBack): andon audit record-rollback writes it.
	EventAuditRolledBack = "audit.rolled_back"
	// A GitHub deployment protection request: recorded as GitHub sent
	// it, decided (approved or rejected), and answered, once GitHub took
	// the answer. The subject is the request's ID.
	EventGitHubRequested = "github.deployment_requested"
	EventGitHubDecided   = "github.deployment_decided"
	EventGitHubAnswered  = "github.deployment_answered"
)

// EventTypes are the event types the audit log records, in the order
// filters offer them: a change's life first. A filter naming another type
// is refused rather than answered with no entries, which would read as
// "nothing of that kind happened".
var EventTypes = []string{
	EventChangeCreated, EventChangeApproved, EventChangeRejected,
	EventChangeTransition, EventChangeReviewed, EventReviewOverdue,
	EventGateDecision, EventCatalogLoaded, EventPolicyLoaded,
	EventIncidentOpened, EventIncidentUpdated, EventIncidentResolved,
	EventBackupRecorded, EventRestoreTested,
	EventAccessRequested, EventAccessGranted, EventAccessRejected,
	EventAccessCancelled, EventAccessRevoked,
	EventGitHubRequested, EventGitHubDecided, EventGitHubAnswered,
	EventTokenCreated, EventTokenRotated, EventTokenRevoked, EventDriftChecked,
	EventAuditRolledBack,
}

// RolledBack is the data of an EventAuditRolledBack entry: the log was
// restored to an earlier point (a backup, or the database without its
// lost write-ahead log), and an operator recorded it knowingly. The entry
// is the first after the restored log, so its index is Size.
type RolledBack struct {
	// Reason says why, in the operator's words.
	Reason string `json:"reason"`
	// Size and RootHash are the restored log's, before this entry.
	Size     int64  `json:"size"`
	RootHash string `json:"rootHash"`
	// Checkpoints are the signed checkpoints of the log before the
	// restore that the restored log does not hold: entries lost, or
	// written again since. A saved copy of one of them no longer fails
	// a verification of the log (andon audit verify --checkpoint), which
	// names this entry instead.
	Checkpoints []RolledBackCheckpoint `json:"checkpoints"`
	// Signature is a note signed with the audit key over the rest
	// (auditlog.Signer.SignRollback). A server signs a checkpoint over
	// whatever tree its database holds, so that without it, whoever can
	// write the database could append an entry of this type that names
	// the auditors' saved checkpoints and passes off a rewritten log as
	// one restored knowingly. The database does not hold the key.
	Signature string `json:"signature"`
}

// RolledBackCheckpoint is a checkpoint a rollback lost, and where the
// operator found it.
type RolledBackCheckpoint struct {
	Size     int64  `json:"size"`
	RootHash string `json:"rootHash"`
	// Note is the signed note, which proves what the log held.
	Note string `json:"note"`
	// Source is the file it was read from: the copy kept beside a
	// SQLite database, or a checkpoint saved outside.
	Source string `json:"source"`
}

// Event is what a write asks the audit log to record.
type Event struct {
	Type    string `json:"type"`
	Actor   string `json:"actor"`
	Subject string `json:"subject,omitempty"` // the change ID, environment, user, ...
	Data    any    `json:"data,omitempty"`
}

// Entry is one record of the audit log. Record is the canonical JSON that
// the Merkle tree hashes; the other fields are decoded from it.
type Entry struct {
	Index   int64           `json:"index"`
	Time    time.Time       `json:"time"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	Subject string          `json:"subject,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Checkpoint is a signed statement of the audit log's size and root hash,
// in the signed-note format of golang.org/x/mod/sumdb/note.
type Checkpoint struct {
	Origin   string `json:"origin"`
	Size     int64  `json:"size"`
	RootHash string `json:"rootHash"` // base64, as in the note text
	Note     string `json:"note"`     // the whole signed note
	// VerifierKey is the public key that verifies Note.
	VerifierKey string `json:"verifierKey"`
}

// Proof is an inclusion proof of one entry in the tree of a checkpoint.
type Proof struct {
	Index      int64           `json:"index"`
	Record     json.RawMessage `json:"record"`
	LeafHash   string          `json:"leafHash"`
	Hashes     []string        `json:"hashes"` // base64 tlog.RecordProof
	Checkpoint Checkpoint      `json:"checkpoint"`
}

// Evidence is an export of audit entries, each with its inclusion proof in
// the tree of one signed checkpoint: an auditor checks it offline with the
// log's verifier key alone (auditlog.CheckEvidence). It proves that each
// entry is in the signed log, not that no entry matching Filter was left
// out (a verification of the whole log against a saved checkpoint does
// that), except when Filter selects every entry after an index: then
// each must be there.
type Evidence struct {
	// Filter is what the export asked for; every entry matches it.
	Filter     AuditFilter     `json:"filter"`
	Checkpoint Checkpoint      `json:"checkpoint"`
	Entries    []EvidenceEntry `json:"entries"`
	// More reports that more entries match after the last one, up to the
	// checkpoint's size, than the export holds (its limit, or
	// MaxEvidenceBytes): the next export starts after its index.
	More bool `json:"more"`
}

// MaxEvidenceBytes bounds the records an export holds, in bytes as
// stored, besides its count of entries: an export stops before the entry
// that would take it past this, and says that more follow. A change's
// record can take megabytes, and andon audit verify-export reads an
// export of at most 64 MiB, which one within this bound stays under even
// pretty-printed, with its proofs.
const MaxEvidenceBytes = 4 << 20

// EvidenceEntry is one entry of an export: its record, as stored and
// hashed, and its inclusion proof in the tree of the export's checkpoint.
type EvidenceEntry struct {
	Index    int64           `json:"index"`
	Record   json.RawMessage `json:"record"`
	LeafHash string          `json:"leafHash"`
	Hashes   []string        `json:"hashes"` // base64 tlog.RecordProof
}

// AuditFilter selects audit entries. Empty strings match everything; After
// is exclusive, so -1 starts at the first entry (index 0).
type AuditFilter struct {
	Type    string `json:"type,omitempty"`
	Subject string `json:"subject,omitempty"`
	Actor   string `json:"actor,omitempty"`
	// Change selects the entries that concern one change: those whose
	// subject is its ID and those whose data names it as "change", such
	// as the gate's decisions, whose subject is the environment.
	Change string `json:"change,omitempty"`
	// Process selects the entries that concern the changes of one
	// business process (ChangeFilter.Process), as Change selects those of
	// one change: the evidence of every change that touched finance in a
	// period. A process no change affects selects none, whether or not
	// the catalog holds it.
	Process string `json:"process,omitempty"`
	// Since and Until, when set, keep the entries recorded at or after
	// Since and before Until: a period, such as a month under audit.
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	After int64      `json:"after"` // entries with Index > After
	Limit int        `json:"limit,omitempty"`
	// Newest makes FindEntries return the last Limit entries matching,
	// still in index order, rather than the first: the latest gate
	// decisions of a busy change. Evidence ignores it.
	Newest bool `json:"-"`
}

// AuditService reads the audit log. Writes happen only inside the
// transactions of other services.
type AuditService interface {
	Checkpoint(ctx context.Context) (*Checkpoint, error)
	FindEntries(ctx context.Context, filter AuditFilter) ([]*Entry, error)
	Proof(ctx context.Context, index int64) (*Proof, error)
	// Evidence exports the entries matching filter, in index order, with
	// their inclusion proofs in the tree of the latest checkpoint.
	Evidence(ctx context.Context, filter AuditFilter) (*Evidence, error)
}
