/**
 * Runs an agent file exactly the way rgmanager runs it (contract reference §1.1, §1.4):
 * - `meta-data`: execl(path, path, "meta-data") with rgmanager's own environment and no OCF variables,
 *   fds 0 and 2 CLOSED (not /dev/null), stdout a pipe read to EOF; cwd / (rgmanager is a daemon).
 * - actions: execle(path, path, action) with exactly the given environment, cwd /.
 *
 * Node cannot start a child with closed fds (it reopens them on /dev/null), so the meta-data launcher is
 * a one-line Perl exec (perl-base is Essential on Debian): it closes STDIN and STDERR and execs the agent
 * with argv[0] = the full path, passing the environment through unchanged (an empty one stays empty —
 * /bin/sh would add PWD). Test tooling only; product code never goes through an interpreter like this.
 */
import { spawnSync } from "node:child_process";

export interface AgentRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  /** Empty for meta-data runs: the agent's stderr is closed there. */
  readonly stderr: string;
}

const PERL = "/usr/bin/perl";
const CLOSE_0_2_AND_EXEC = "close(STDIN); close(STDERR); exec { $ARGV[0] } @ARGV; exit 127;";
const LIMIT_MS = 60_000;

function finish(r: ReturnType<typeof spawnSync>, what: string): AgentRun {
  if (r.error) throw new Error(`${what}: could not run (${r.error.message})`);
  return { exitCode: r.status, signal: r.signal, stdout: `${r.stdout ?? ""}`, stderr: `${r.stderr ?? ""}` };
}

/** `agent meta-data` with stdin and stderr closed, cwd /, and exactly `env` (rgmanager passes its own). */
export function metadataLikeRgmanager(agentPath: string, env: Readonly<Record<string, string>> = {}): AgentRun {
  const r = spawnSync(PERL, ["-e", CLOSE_0_2_AND_EXEC, agentPath, "meta-data"], {
    cwd: "/",
    env: { ...env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: LIMIT_MS,
  });
  return finish(r, `${agentPath} meta-data`);
}

/**
 * `agent <action> [extra]` with exactly `env` and cwd /. rgmanager points stdout and stderr at
 * /dev/null; here they are captured so a test can read what the agent said.
 */
export function actionLikeRgmanager(agentPath: string, action: string, env: Readonly<Record<string, string>>, extraArgs: readonly string[] = []): AgentRun {
  const r = spawnSync(agentPath, [action, ...extraArgs], {
    cwd: "/",
    env: { ...env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: LIMIT_MS,
  });
  return finish(r, `${agentPath} ${action}`);
}

/** The launcher itself, for a test that proves it really closes fds 0 and 2. */
export function withClosedStdinStderr(program: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): AgentRun {
  const r = spawnSync(PERL, ["-e", CLOSE_0_2_AND_EXEC, program, ...args], { cwd: "/", env: { ...env }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: LIMIT_MS });
  return finish(r, program);
}
