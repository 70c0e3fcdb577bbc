import type { Statement } from 'better-sqlite3';
import type { Turn } from '../session/turn.js';
import type { GroupCommit } from './group-commit.js';
import type { SavedConversation, SessionPersistence } from './session-persistence.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * Conversations in the embedded database, so a restart does not make the bot forget. Writes ride
 * the inbox's group commit (a crash loses at most the turn of the last few milliseconds).
 */
export class SqliteSessions implements SessionPersistence {
  private readonly selectOne: Statement<[string], { turns: string; last_active: number; backend_state: string | null }>;
  private readonly upsert: Statement<[string, string, number, string | null]>;
  private readonly deleteOne: Statement<[string]>;
  private readonly deleteIdle: Statement<[number]>;

  constructor(
    db: SqliteDatabase,
    private readonly writes: GroupCommit,
  ) {
    this.selectOne = db.prepare('SELECT turns, last_active, backend_state FROM sessions WHERE id = ?');
    this.upsert = db.prepare(
      'INSERT INTO sessions (id, turns, last_active, backend_state) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET turns = excluded.turns, last_active = excluded.last_active, backend_state = excluded.backend_state',
    );
    this.deleteOne = db.prepare('DELETE FROM sessions WHERE id = ?');
    this.deleteIdle = db.prepare('DELETE FROM sessions WHERE last_active < ?');
  }

  load(id: string): SavedConversation | undefined {
    this.writes.flush();
    const row = this.selectOne.get(id);
    if (!row) return undefined;
    const saved: SavedConversation = { turns: JSON.parse(row.turns) as Turn[], lastActive: row.last_active };
    if (row.backend_state) saved.backendState = JSON.parse(row.backend_state) as Record<string, string>;
    return saved;
  }

  save(id: string, conversation: SavedConversation): void {
    // Serialized when written, so it is the conversation as it is then.
    const turns = JSON.stringify(conversation.turns);
    const state = conversation.backendState ? JSON.stringify(conversation.backendState) : null;
    this.writes.defer(() => this.upsert.run(id, turns, conversation.lastActive, state));
  }

  /** Committed at once: the WAL holding the conversation's old pages may be emptied right after (wipeWals). */
  delete(id: string): void {
    this.writes.defer(() => this.deleteOne.run(id));
    this.writes.flush();
  }

  deleteIdleSince(cutoff: number): void {
    this.writes.defer(() => this.deleteIdle.run(cutoff));
  }
}
