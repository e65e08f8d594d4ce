/**
 * Host-side commands of the lab (ip, qemu-img, mmdebstrap …), always as argv arrays. Async for normal
 * use, sync for teardown (which must also work inside exit and signal handlers).
 */
import { spawnSync } from "node:child_process";
import { execa } from "execa";

export interface HostResult {
  readonly argv: readonly string[];
  readonly rc: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

const HOST_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C",
  LANG: "C",
};

export interface HostOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  /** Called with each line of stdout/stderr as it arrives (progress display). */
  readonly onLine?: (line: string) => void;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

export async function run(argv: readonly string[], options: HostOptions = {}): Promise<HostResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("run: empty argv");
  const started = Date.now();
  const child = execa(program, args, {
    reject: false,
    shell: false,
    extendEnv: false,
    env: { ...HOST_ENV, ...(options.env ?? {}) },
    timeout: options.timeoutMs ?? 120_000,
    killSignal: "SIGKILL",
    stripFinalNewline: false,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
  });
  if (options.onLine !== undefined) {
    const onLine = options.onLine;
    const split = (stream: NodeJS.ReadableStream | null) => {
      if (stream === null) return;
      let rest = "";
      stream.on("data", (chunk: Buffer) => {
        rest += chunk.toString("utf8");
        const lines = rest.split("\n");
        rest = lines.pop() ?? "";
        for (const l of lines) onLine(l);
      });
    };
    split(child.stdout);
    split(child.stderr);
  }
  const r = await child;
  return {
    argv,
    rc: r.timedOut ? null : (r.exitCode ?? null),
    stdout: typeof r.stdout === "string" ? r.stdout : "",
    stderr: typeof r.stderr === "string" ? r.stderr : r.timedOut ? "killed at deadline" : "",
    durationMs: Date.now() - started,
  };
}

/** Run and fail with the command's own words when it does not exit 0. */
export async function must(argv: readonly string[], options: HostOptions = {}): Promise<HostResult> {
  const r = await run(argv, options);
  if (r.rc !== 0) throw new Error(`${argv.join(" ")}: ${r.rc === null ? "killed at deadline" : `exit ${r.rc}`}: ${lastLines(r.stderr || r.stdout)}`);
  return r;
}

export function runSync(argv: readonly string[], timeoutMs = 20_000): HostResult {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("runSync: empty argv");
  const started = Date.now();
  const r = spawnSync(program, args, { env: HOST_ENV, timeout: timeoutMs, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { argv, rc: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? String(r.error ?? ""), durationMs: Date.now() - started };
}

export function lastLines(text: string, n = 3): string {
  return text.trim().split("\n").slice(-n).join(" / ");
}
