/**
 * Tails the agents' journal (JSON lines, appended by agents/journal/journal.ts, rotated to `<file>.1`).
 * chokidar watches the journal's directory (the file may not exist yet, and rotation replaces it); the
 * daemon's safety poll calls `poll()` as well, so a missed notification only delays a line.
 * Lines present at start are read once to prime the agents' last state, without events.
 */
import { watch, type FSWatcher } from "chokidar";
import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parseJournalLine, type JournalLine } from "../model/agent-events.js";

/** At start, only the tail of a long journal is read. */
export const PRIME_BYTES = 256 * 1024;
/** A single line longer than this is skipped (the journal holds small records). */
export const MAX_LINE_BYTES = 64 * 1024;

export interface JournalTailOptions {
  readonly path: string;
  readonly onRecord: (record: JournalLine) => void;
  readonly onPrime: (record: JournalLine) => void;
  readonly onBadLine: (reason: string) => void;
}

export class JournalTail {
  private offset = 0;
  private ino: number | undefined;
  private partial = "";
  private watcher: FSWatcher | undefined;

  constructor(private readonly options: JournalTailOptions) {}

  async start(): Promise<void> {
    const dir = dirname(this.options.path);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
    } catch {
      /* reported by poll() as unreadable, if it stays so */
    }
    this.prime();
    const watcher = watch(dir, { depth: 0, ignoreInitial: true, persistent: false });
    const name = basename(this.options.path);
    const onPath = (p: string): void => {
      if (basename(p) === name) this.poll();
    };
    watcher.on("add", onPath).on("change", onPath).on("error", () => undefined);
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    this.watcher = watcher;
  }

  private prime(): void {
    const st = this.stat();
    if (st === undefined) return;
    const from = Math.max(0, st.size - PRIME_BYTES);
    const text = this.readRange(from, st.size);
    this.ino = st.ino;
    this.offset = st.size;
    if (text === undefined) return;
    const lines = text.split("\n");
    if (from > 0) lines.shift(); // probably a cut line
    for (const line of lines) {
      if (line.trim() === "") continue;
      const p = parseJournalLine(line);
      if (p.ok) this.options.onPrime(p.record);
    }
  }

  private stat(): { size: number; ino: number } | undefined {
    try {
      const s = statSync(this.options.path);
      return { size: s.size, ino: s.ino };
    } catch {
      return undefined;
    }
  }

  private readRange(from: number, to: number): string | undefined {
    if (to <= from) return "";
    let fd: number | undefined;
    try {
      fd = openSync(this.options.path, "r");
      const buf = Buffer.alloc(to - from);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, from + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got).toString("utf8");
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Read whatever was appended since the last call. */
  poll(): void {
    const st = this.stat();
    if (st === undefined) return;
    if (st.ino !== this.ino || st.size < this.offset) {
      // Rotated or truncated: the new file is read from its start.
      this.ino = st.ino;
      this.offset = 0;
      this.partial = "";
    }
    if (st.size === this.offset) return;
    // Bound one read; the rest comes on the next poll.
    const to = Math.min(st.size, this.offset + 4 * 1024 * 1024);
    const text = this.readRange(this.offset, to);
    if (text === undefined) return;
    this.offset = to;
    const chunks = (this.partial + text).split("\n");
    this.partial = chunks.pop() ?? "";
    if (this.partial.length > MAX_LINE_BYTES) {
      this.options.onBadLine(`journal line longer than ${MAX_LINE_BYTES} bytes skipped`);
      this.partial = "";
    }
    for (const line of chunks) {
      if (line.trim() === "") continue;
      const p = parseJournalLine(line);
      if (p.ok) this.options.onRecord(p.record);
      else this.options.onBadLine(p.reason);
    }
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
