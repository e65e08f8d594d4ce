/**
 * A scripted Runner for unit tests: each rule matches an argv (exact list, prefix, or predicate) and
 * answers with a result, usually read from a capture of the real tool (`capturedResult`). Every call is
 * recorded so tests can assert what was (and was not) run. An unmatched call fails loudly.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandResult, RunOptions, Runner } from "../../agents/system/command.js";

export type Answer = Omit<Partial<CommandResult>, "argv"> | ((argv: readonly string[], options: RunOptions) => Omit<Partial<CommandResult>, "argv">);

export interface Rule {
  /** Matches when argv starts with these words (program name compared by basename). */
  readonly prefix?: readonly string[];
  readonly when?: (argv: readonly string[]) => boolean;
  readonly answer: Answer;
  /** Answer only this many times (then the rule is skipped); default: forever. */
  times?: number;
  /** Simulated run time; a call whose timeout is shorter ends as timedOut. */
  readonly takesMs?: number;
}

export interface RecordedCall {
  readonly argv: readonly string[];
  readonly options: RunOptions;
}

const base = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

export class FakeRunner implements Runner {
  readonly calls: RecordedCall[] = [];
  private readonly rules: Rule[] = [];

  on(rule: Rule): this {
    this.rules.push(rule);
    return this;
  }

  /** Shorthand: answer argv starting with `prefix`. */
  answer(prefix: readonly string[], answer: Answer, times?: number): this {
    return this.on({ prefix, answer, ...(times !== undefined ? { times } : {}) });
  }

  async run(program: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
    const argv = [program, ...args];
    this.calls.push({ argv, options });
    const rule = this.rules.find((r) => r.times !== 0 && matches(r, argv));
    if (rule === undefined) throw new Error(`FakeRunner: no rule for ${argv.join(" ")}`);
    if (rule.times !== undefined) rule.times -= 1;
    if (rule.takesMs !== undefined && rule.takesMs > options.timeoutMs) {
      return { argv, exitCode: null, signal: "SIGKILL", stdout: "", stderr: "", timedOut: true, durationMs: options.timeoutMs };
    }
    const a = typeof rule.answer === "function" ? rule.answer(argv, options) : rule.answer;
    return {
      argv,
      exitCode: a.exitCode === undefined ? 0 : a.exitCode,
      signal: a.signal ?? null,
      stdout: a.stdout ?? "",
      stderr: a.stderr ?? "",
      timedOut: a.timedOut ?? false,
      ...(a.failedToStart !== undefined ? { failedToStart: a.failedToStart } : {}),
      durationMs: a.durationMs ?? rule.takesMs ?? 0,
    };
  }

  /** The argv of every call whose program basename is `program`. */
  callsTo(program: string): (readonly string[])[] {
    return this.calls.filter((c) => base(c.argv[0] ?? "") === program).map((c) => c.argv);
  }
}

function matches(rule: Rule, argv: readonly string[]): boolean {
  if (rule.prefix !== undefined) {
    if (argv.length < rule.prefix.length) return false;
    for (let i = 0; i < rule.prefix.length; i++) {
      const want = rule.prefix[i];
      const got = argv[i];
      if (i === 0 ? base(got ?? "") !== base(want ?? "") : got !== want) return false;
    }
  }
  return rule.when === undefined || rule.when(argv);
}

/**
 * The result a real tool gave, from a capture folder: `<name>.txt` (stdout), `<name>.stderr`,
 * `<name>.rc` (exit code; absent = 0), `<name>.duration_s`.
 */
export function capturedResult(dir: string, name: string): Omit<CommandResult, "argv"> {
  const read = (suffix: string): string | undefined => {
    const f = join(dir, name + suffix);
    return existsSync(f) ? readFileSync(f, "utf8") : undefined;
  };
  const stdout = read(".txt");
  const rc = read(".rc");
  if (stdout === undefined && rc === undefined) throw new Error(`no capture ${name} in ${dir}`);
  const duration = read(".duration_s");
  return {
    exitCode: rc === undefined ? 0 : Number(rc.trim()),
    signal: null,
    stdout: stdout ?? "",
    stderr: read(".stderr") ?? "",
    timedOut: false,
    durationMs: duration === undefined ? 0 : Math.round(Number(duration.trim()) * 1000),
  };
}
