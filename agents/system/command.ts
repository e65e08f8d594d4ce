/**
 * The typed boundary for external commands. Everything pmsapp runs (mdadm, iscsiadm, tgtadm, udevadm …)
 * goes through a Runner: argv arrays only, never a shell, always under a deadline.
 * This file has no dependencies so that light code paths (status) can import the types for free.
 */

export interface CommandResult {
  /** The program and arguments as run (program may be resolved to an absolute path). */
  readonly argv: readonly string[];
  /** Exit code, or null when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the deadline expired and the process was killed. */
  readonly timedOut: boolean;
  /** Set when the program could not be started at all (not installed, not executable). */
  readonly failedToStart?: string;
  readonly durationMs: number;
}

export interface RunOptions {
  /** Kill the command after this many milliseconds (SIGKILL to the whole process). */
  readonly timeoutMs: number;
  /** Text written to stdin; stdin is closed (ignored) otherwise. */
  readonly input?: string;
}

export interface Runner {
  run(program: string, args: readonly string[], options: RunOptions): Promise<CommandResult>;
}

/** True when the command ran to completion and exited 0. */
export function succeeded(r: CommandResult): boolean {
  return r.exitCode === 0 && !r.timedOut && r.failedToStart === undefined;
}

/** One line that says what happened, for logs and error reasons. */
export function describeResult(r: CommandResult): string {
  const cmd = r.argv.join(" ");
  if (r.failedToStart !== undefined) return `${cmd}: could not start (${r.failedToStart})`;
  if (r.timedOut) return `${cmd}: killed after ${r.durationMs} ms (deadline)`;
  if (r.signal !== null) return `${cmd}: killed by ${r.signal}`;
  const err = r.stderr.trim().split("\n").filter(Boolean).slice(-2).join(" / ");
  return `${cmd}: exit ${r.exitCode}${err ? ` (${err})` : ""}`;
}

/**
 * An absolute point in time by which a whole action must finish. Each command gets the time that is
 * left (capped by its own per-call limit), so an action can never outlive its budget.
 */
export class Deadline {
  private constructor(private readonly at: number, private readonly now: () => number) {}

  static in(ms: number, now: () => number = Date.now): Deadline {
    return new Deadline(now() + ms, now);
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * A deadline `ms` earlier than this one (never earlier than now): what the forward steps of an action
   * get when the rest is kept for undoing them.
   */
  keeping(ms: number): Deadline {
    return new Deadline(Math.max(this.now(), this.at - ms), this.now);
  }

  /** The timeout to give one command: what is left, but at most `capMs`, and at least 1 ms. */
  budget(capMs?: number): number {
    const left = this.remainingMs();
    return Math.max(1, capMs === undefined ? left : Math.min(capMs, left));
  }
}
