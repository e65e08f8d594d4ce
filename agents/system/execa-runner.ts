import { execa } from "execa";
import { accessSync, constants } from "node:fs";
import type { CommandResult, RunOptions, Runner } from "./command.js";

/**
 * The one real Runner. rgmanager starts agents with an empty environment (no PATH), so programs are
 * resolved here against a fixed system search path, and children get a fixed, minimal environment.
 */
export const SYSTEM_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] as const;

export function resolveProgram(program: string, searchPath: readonly string[] = SYSTEM_PATH): string | undefined {
  if (program.includes("/")) return canExecute(program) ? program : undefined;
  for (const dir of searchPath) {
    const candidate = `${dir}/${program}`;
    if (canExecute(candidate)) return candidate;
  }
  return undefined;
}

function canExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function createExecaRunner(searchPath: readonly string[] = SYSTEM_PATH): Runner {
  return {
    async run(program: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
      const started = Date.now();
      const resolved = resolveProgram(program, searchPath);
      if (resolved === undefined) {
        return {
          argv: [program, ...args],
          exitCode: null,
          signal: null,
          stdout: "",
          stderr: "",
          timedOut: false,
          failedToStart: `${program} not found in ${searchPath.join(":")}`,
          durationMs: 0,
        };
      }
      const result = await execa(resolved, [...args], {
        reject: false,
        shell: false,
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        forceKillAfterDelay: false,
        extendEnv: false,
        env: { PATH: searchPath.join(":"), LC_ALL: "C", LANG: "C" },
        ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
        stripFinalNewline: false,
        cwd: "/",
      });
      const failedToStart =
        result.exitCode === undefined && !result.timedOut && result.signal === undefined
          ? String(result.originalMessage ?? result.shortMessage ?? "spawn failed")
          : undefined;
      return {
        argv: [resolved, ...args],
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? null,
        stdout: typeof result.stdout === "string" ? result.stdout : "",
        stderr: typeof result.stderr === "string" ? result.stderr : "",
        timedOut: result.timedOut === true,
        ...(failedToStart !== undefined ? { failedToStart } : {}),
        durationMs: Date.now() - started,
      };
    },
  };
}
