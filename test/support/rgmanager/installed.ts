/**
 * The agent at its real install paths, with no test seam at all: a scratch tree holding
 * /usr/share/cluster/pmsapp-raid.sh (the shim) and /usr/lib/pmsapp/raid*.cjs (the bundles) is laid over
 * the host's /usr in a private mount namespace (read-only overlay), and /var gets a writable overlay
 * whose changes land in the scratch tree, so whatever the agent writes (its journal) can be read back
 * and the host is never touched. Needs CAP_SYS_ADMIN (CI runs as root): `installedRefusal()` says why
 * not otherwise.
 *
 * Inside the namespace a Perl one-liner mounts the overlays, optionally closes fds 0 and 2, changes to /
 * and execs the agent; the environment given to `unshare` reaches the agent unchanged (empty stays empty).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { AgentRun } from "./invoke.js";
import { RAID_BUNDLE } from "./paths.js";
import { INSTALLED_NAME, pmsappShim } from "./pmsapp-agent.js";

export const INSTALLED_SHIM = `/usr/share/cluster/${INSTALLED_NAME}`;
export const INSTALLED_JOURNAL = "/var/lib/pmsapp/journal/agents.jsonl";

const LAUNCHER = [
  "my ($root, $close, @cmd) = @ARGV;",
  'sub mnt { system("/usr/bin/mount", @_) == 0 or do { print STDERR "pmsapp test launcher: mount @_ failed\\n"; exit 126 } }',
  'mnt("-t", "overlay", "overlay", "-o", "lowerdir=/var,upperdir=$root/var-upper,workdir=$root/var-work", "/var");',
  'mnt("-t", "overlay", "overlay", "-o", "lowerdir=$root/usr:/usr", "/usr");',
  'chdir("/") or exit 126;',
  'if ($close) { close(STDIN); close(STDERR); }',
  "exec { $cmd[0] } @cmd; exit 127;",
].join(" ");

export interface InstalledAgent {
  readonly root: string;
  /** Runs `<installed shim> <args…>` with exactly `env`; fds 0 and 2 closed when asked (meta-data). */
  run(args: readonly string[], env: Readonly<Record<string, string>>, options?: { readonly closeStdinStderr?: boolean }): AgentRun;
  /** What the agent appended to its default journal inside the namespace ("" when nothing). */
  journal(): string;
  remove(): void;
}

/** Copies the shim and the built bundles into a fresh scratch tree at their install paths. */
export function installAgent(): InstalledAgent {
  const shim = pmsappShim();
  const root = mkdtempSync(join(tmpdir(), "pmsapp-rgm-root-"));
  const lib = join(root, "usr", "lib", "pmsapp");
  const cluster = join(root, "usr", "share", "cluster");
  for (const d of [lib, cluster, join(root, "var-upper"), join(root, "var-work")]) mkdirSync(d, { recursive: true });
  for (const bundle of ["raid.cjs", "raid-heavy.cjs"]) copyFileSync(join(dirname(RAID_BUNDLE), bundle), join(lib, bundle));
  copyFileSync(shim, join(cluster, INSTALLED_NAME));
  chmodSync(join(cluster, INSTALLED_NAME), 0o755);
  return {
    root,
    run(args, env, options = {}) {
      const r = spawnSync("/usr/bin/unshare", ["--mount", "--propagation", "private", "--", "/usr/bin/perl", "-e", LAUNCHER, root, options.closeStdinStderr ? "1" : "0", INSTALLED_SHIM, ...args], {
        env: { ...env },
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
        timeout: 60_000,
      });
      if (r.error) throw new Error(`unshare: ${r.error.message}`);
      return { exitCode: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    },
    journal() {
      const file = join(root, "var-upper", INSTALLED_JOURNAL.replace(/^\/var\//, ""));
      return existsSync(file) ? readFileSync(file, "utf8") : "";
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Why the installed-path runs cannot happen here (no mount namespace or overlay), or undefined. */
export function installedRefusal(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), "pmsapp-rgm-probe-"));
  try {
    for (const d of ["usr/pmsapp-probe", "var-upper", "var-work"]) mkdirSync(join(probe, d), { recursive: true });
    const r = spawnSync("/usr/bin/unshare", ["--mount", "--propagation", "private", "--", "/usr/bin/perl", "-e", LAUNCHER, probe, "0", "/usr/bin/test", "-d", "/usr/pmsapp-probe"], {
      env: {},
      encoding: "utf8",
      timeout: 30_000,
    });
    if (r.error) return `unshare cannot run: ${r.error.message}`;
    return r.status === 0 ? undefined : `a private mount namespace with overlays is not permitted here (exit ${r.status}: ${`${r.stderr}`.trim().split("\n")[0] ?? ""})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
