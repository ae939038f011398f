// The explorer's "equivalent command line": how `migreplay replay` would name the trace.

/** What the page knows of a trace it can open (main.ts's TraceEntry). */
export interface NamedTrace {
  /** The name shown in the trace list (unique in it). */
  name: string;
  /** Where the page fetches it from (traces/NAME), when it was listed by `migreplay explore`. */
  url?: string;
  /** The trace as the user named it: the path given to `migreplay explore`, a dropped file's name. */
  path?: string;
  /** It was dropped or opened in the page. */
  dropped?: unknown;
}

/** A word for a POSIX shell: as it is when it needs no quoting, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The trace as the command line names it: the path the user gave (`migreplay explore
 * sqlite.arrow` → sqlite.arrow), never the URL the page happens to fetch it from
 * (traces/sqlite.arrow). `initial`: the name of the trace `migreplay explore` was given
 * (traces/index.json). When the index carries no `path`, that trace is named by its file
 * name, as given from the folder it was in; the shipped traces by their place in the
 * package (traces/…).
 */
export function commandPath(t: NamedTrace | undefined, initial: string | null): string {
  if (!t) return 'TRACE';
  if (t.path) return t.path;
  if (t.dropped || t.name === initial) return t.name;
  return t.url ?? t.name;
}
