package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
)

// newRecordRollbackCmd returns andon audit record-rollback, which writes
// into the audit log that it was restored to an earlier point, so that a
// restore is made knowingly and stays visible: the server refuses a SQLite
// log behind the checkpoint kept beside it, and andon audit verify a log
// behind a checkpoint saved outside, until one is recorded.
func newRecordRollbackCmd(e *env) *cobra.Command {
	var reason string
	var savedFiles []string
	cmd := &cobra.Command{
		Use:   "record-rollback --data DIR --reason TEXT [--checkpoint FILE]...",
		Short: "Record in the audit log that it was restored to an earlier point, and go on from there",
		Long: `Record in the audit log that it was restored to an earlier point (a backup
restored, or a SQLite database that lost its write-ahead log), with the
signed checkpoints of the log before that it no longer holds, and go on
from the restored log. Run it with andon stopped, after andon audit verify,
on the store the servers will use (--data, or --db). It never migrates
the store: one that this andon's migrations are not all applied to is
refused, to be recorded with the andon that wrote the backup, or once
andon serve of this version has migrated it.

On SQLite the checkpoint andon signed last is kept beside the database
(andon.db-checkpoint), and andon serve refuses a log that lost its entries;
on PostgreSQL only checkpoints saved outside show the loss: give every one
saved since the restore point with --checkpoint. The log must verify on its
own, and at least one checkpoint must be ahead of it, or nothing is written.

The entry (audit.rolled_back, by admin) holds the reason, the restored
log's size and root and each lost checkpoint's signed note: proof of what
the log held; the audit key signs it all, so that the database alone
cannot record a rollback. It replaces the kept checkpoint, so andon serve starts, and
andon audit verify --checkpoint with a checkpoint it names reports the
rollback and this entry instead of failing.`,
		Example: `  andon audit verify --data /var/lib/andon --key andon-audit/audit.pub
  andon audit record-rollback --data /var/lib/andon --reason "CHG-812: disk lost, restored the 02:00 backup"
  # PostgreSQL, with the checkpoints the auditors saved since the restore point:
  andon audit record-rollback --data ./andon-audit-key --db "$URL" --reason "…" --checkpoint checkpoints/20261126T1000Z.json`,
		Args: cobra.NoArgs,
	}
	o := storeFlags(cmd, e)
	cmd.Flags().StringVar(&reason, "reason", "", "why the log was restored to an earlier point: the incident or change record")
	cmd.MarkFlagRequired("reason")
	cmd.Flags().StringArrayVar(&savedFiles, "checkpoint", nil, "a checkpoint saved earlier that the restored log no longer holds (andon audit checkpoint -o json); repeatable")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if strings.TrimSpace(reason) == "" {
			return andon.Errorf(andon.EINVALID, "--reason: empty: say why the log was restored, for whoever reads it")
		}
		if fresh, err := newStoreFor(o); err != nil {
			return err
		} else if fresh != "" {
			return andon.Errorf(andon.ENOTFOUND, "%s: no andon database at %s: give the data directory (or --db) of the restored store", o.where(), fresh)
		}
		dsn, err := o.dsn()
		if err != nil {
			return err
		}
		// No server may write meanwhile: the entry states the log it
		// follows. PostgreSQL's replicas are the operator's to stop.
		unlock, err := sqlstore.Lock(dsn, o.data)
		if err != nil {
			return err
		}
		defer unlock()
		// The store is the one restored, as it was: a command that records
		// what was restored does not migrate it behind the operator's back,
		// as opening it to write would.
		if err := restoredMigrated(e.ctx, o); err != nil {
			return err
		}
		o.rollingBack = true
		store, err := openSignedStore(e.ctx, o, nil)
		if err != nil {
			return err
		}
		defer store.Close()
		v, err := note.NewVerifier(store.Signer.VerifierKey())
		if err != nil {
			return err
		}
		rep, err := auditlog.Verify(e.ctx, store, v)
		if err != nil {
			return err
		} else if !rep.OK {
			return andon.Errorf(andon.EINVALID, "the audit log does not verify on its own: %s; only a log that verifies is gone on from", rep.Problem)
		}
		// A checkpoint whose rollback the log records already is not
		// recorded again.
		recorded := map[string]bool{}
		entries, err := sqlstore.NewAuditService(store).FindEntries(e.ctx, andon.AuditFilter{Type: andon.EventAuditRolledBack, After: -1})
		if err != nil {
			return err
		}
		for _, en := range entries {
			var rb andon.RolledBack
			if err := json.Unmarshal(en.Data, &rb); err != nil {
				return fmt.Errorf("audit entry %d: %w", en.Index, err)
			}
			for _, c := range rb.Checkpoints {
				recorded[c.Note] = true
			}
		}
		var lost []andon.RolledBackCheckpoint
		var size int64
		var root string
		found := func(cp *andon.Checkpoint, source string) error {
			held, n, r, err := store.Holds(e.ctx, v, cp)
			if err != nil {
				return err
			}
			size, root = n, r
			if !held && !recorded[cp.Note] {
				lost = append(lost, andon.RolledBackCheckpoint{Size: cp.Size, RootHash: cp.RootHash, Note: cp.Note, Source: source})
			}
			return nil
		}
		kept, path, err := store.KeptCheckpoint(v)
		if err != nil {
			return err
		}
		if kept != nil {
			if err := found(kept, path); err != nil {
				return err
			}
		}
		for _, f := range savedFiles {
			cp, err := readSavedCheckpoint(f, v)
			if err != nil {
				return err
			}
			if err := found(cp, f); err != nil {
				return err
			}
		}
		if len(lost) == 0 {
			return andon.Errorf(andon.EINVALID, "nothing to record: the audit log of %s holds every checkpoint given%s, or records its rollback already; give with --checkpoint the checkpoints saved before the restore that it no longer holds",
				count(rep.Entries, "entry"), keptToo(kept))
		}
		data := &andon.RolledBack{Reason: reason, Size: size, RootHash: root, Checkpoints: lost}
		// Signed with the audit key: the database alone cannot record a
		// rollback that audit verify accepts.
		if data.Signature, err = store.Signer.SignRollback(data); err != nil {
			return err
		}
		indexes, err := store.Update(e.ctx, func(_ context.Context, tx *sqlstore.Tx) error {
			// The entry states the log it follows: a replica that wrote
			// since it was read (PostgreSQL's are the operator's to
			// stop) would make it a fault of the log.
			if n := tx.AuditSize(); n != size {
				return andon.Errorf(andon.ECONFLICT, "the audit log grew from %s to %s while the rollback was being recorded: stop every andon server writing to this store, and run this again", count(size, "entry"), count(n, "entry"))
			}
			tx.Record(andon.Event{Type: andon.EventAuditRolledBack, Actor: andon.ActorAdmin, Data: data})
			return nil
		})
		if err != nil {
			return store.DiskError(err)
		}
		out := struct {
			Entry int64 `json:"entry"`
			*andon.RolledBack
		}{indexes[0], data}
		return e.print(cmd, out, func(w io.Writer) {
			fmt.Fprintf(w, "recorded as audit entry %d: the log was restored to %s, root %s\n", indexes[0], count(size, "entry"), root)
			for _, c := range lost {
				fmt.Fprintf(w, "  it no longer holds the checkpoint of %s, root %s (%s)\n", count(c.Size, "entry"), c.RootHash, c.Source)
			}
		})
	}
	return cmd
}

// restoredMigrated refuses the store o names when this andon's migrations
// are not all applied to it, reading it without a write. A store migrated
// by a newer andon is refused by sqlstore.Open, which then applies nothing.
func restoredMigrated(ctx context.Context, o *serveOptions) error {
	store, err := o.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	missing, err := store.Unmigrated(ctx)
	if err != nil {
		return err
	} else if len(missing) > 0 {
		return andon.Errorf(andon.EINVALID, "%s: the restored store is not migrated to this andon %s (it lacks %s), and recording its rollback must not change its schema: record it with the andon that wrote the backup, or start andon serve of this version on it once, which migrates it (and then refuses a SQLite log behind its kept checkpoint), and run this again; nothing was written",
			o.where(), andon.Version, strings.Join(missing, ", "))
	}
	return nil
}

// keptToo says that the checkpoint kept beside a SQLite database was
// among those given, when there is one.
func keptToo(kept *andon.Checkpoint) string {
	if kept == nil {
		return ""
	}
	return ", and the one kept beside the database"
}
