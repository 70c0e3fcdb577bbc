import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The store cannot start: one line that names the path and what to do (app.ts prints it, exit 1). */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

/** What a broken file held: what is lost with it, and how to count what can still be read. */
export interface StoreContents {
  /** "pending messages", "conversations". */
  what: string;
  /** Rows of `table` that count (all when absent). */
  table: string;
  where?: (row: Record<string, unknown>) => boolean;
}

/**
 * Creates data_dir (and its parents) and checks that it can be written, so that whatever is wrong
 * with the path (permission denied, a file in the way, a read-only disk) stops start-up with one line.
 */
export function prepareDataDir(configured: string, dataDir: string): void {
  const named = `data_dir "${configured}" (${dataDir})`;
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new StoreOpenError(
      `${named} cannot be created or written: ${dataDirProblem(error, dataDir)}; fix that or set data_dir to a folder this user can write`,
      { cause: error },
    );
  }
}

function dataDirProblem(error: unknown, dataDir: string): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const blocker = fileInTheWay(dataDir);
  if (blocker) return `${blocker} is a file, not a folder (${code})`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code})`;
  if (code === 'EROFS') return 'the file system is read-only (EROFS)';
  return `${(error as Error).message}`;
}

/** The first existing part of `dir` (itself included) that is not a folder. */
function fileInTheWay(dir: string): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      return statSync(at).isDirectory() ? undefined : at;
    } catch {
      if (path.dirname(at) === at) return undefined;
    }
  }
}

/**
 * Opens a database file, turning SQLite's terse failures into a line that names the file and the
 * way out: a file that is not (or no longer) a database must be moved aside, and what it held is
 * lost; the line says how much of it could still be read.
 */
export function openingStore<T>(file: string, configuredDataDir: string, contents: StoreContents, open: () => T): T {
  try {
    return open();
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const reason = `${(error as Error).message} (${code || 'no code'})`;
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      const broken = code === 'SQLITE_NOTADB' ? 'is not an SQLite database' : 'is damaged';
      throw new StoreOpenError(
        `${file} ${broken} (${reason}): move it aside (mv ${file} ${file}.broken) and start again, a new one is created; the ${contents.what} in it are lost, ${readable(file, contents)}`,
        { cause: error },
      );
    }
    if (code === 'SQLITE_CANTOPEN') {
      throw new StoreOpenError(
        `cannot open ${file} (${reason}): check that data_dir "${configuredDataDir}" is a folder this user can write and that ${path.basename(file)} in it is a file`,
        { cause: error },
      );
    }
    if (code.startsWith('SQLITE_')) throw new StoreOpenError(`${file}: ${reason}`, { cause: error });
    throw error;
  }
}

/** How many rows of a broken file can still be read, row by row up to the damage: "none could be read" or "12 could be read". */
function readable(file: string, contents: StoreContents): string {
  let count = 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      for (const row of db.prepare(`SELECT * FROM ${contents.table}`).iterate() as IterableIterator<Record<string, unknown>>) {
        if (!contents.where || contents.where(row)) count++;
      }
    } finally {
      db.close();
    }
  } catch {
    // The damage: what was counted up to here is what could be read.
  }
  return count === 0 ? 'none could be read' : `${count} could be read (sqlite3's .recover may save them)`;
}
