/**
 * Shared helpers for the raid agent's contract tests: run the built bundle through the real shims the
 * way cluster managers do (empty environment plus the variables given, optional closed fds).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, SHARED_ROOT } from "../support/rgmanager/paths.js";

export const REPO = REPO_ROOT;
export const DIST = join(REPO, "dist");
export const REFERENCE = join(SHARED_ROOT, "reference");
export const SHIMS = {
  ocf: join(REPO, "packaging/shims/ocf-raid.sh"),
  rgmanager: join(REPO, "packaging/shims/rgmanager-raid.sh"),
  lsb: join(REPO, "packaging/shims/swraid.sh"),
} as const;
export type ShimFace = keyof typeof SHIMS;

const BUNDLES = ["raid.cjs", "raid-heavy.cjs"] as const;

/**
 * A private copy of the built bundles: other work in the same tree may rebuild dist/ (which empties it)
 * while these tests run, so each test file snapshots the bundles once and runs the copy.
 */
export function snapshotBuild(): string {
  const libdir = tempDir("dist");
  for (let attempt = 0; ; attempt++) {
    try {
      for (const f of BUNDLES) copyFileSync(join(DIST, f), join(libdir, f));
      return libdir;
    } catch (e) {
      if (attempt >= 20) throw new Error(`dist/ has no complete raid bundles: run npm run build (npm run test:contract does): ${String(e)}`);
      spawnSync("/bin/sleep", ["0.5"]);
    }
  }
}

export interface ShimRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `env -i VAR=… sh <shim> <args>`: nothing inherited. With `closeFds`, stdin and stderr are closed as
 * rgmanager does for meta-data (stderr is then not captured).
 */
export function runShim(face: ShimFace, args: readonly string[], vars: Readonly<Record<string, string>>, opts: { closeFds?: boolean } = {}): ShimRun {
  const assignments = Object.entries(vars).map(([k, v]) => shellQuote(`${k}=${v}`));
  const command = ["/usr/bin/env", "-i", ...assignments, "/bin/sh", shellQuote(SHIMS[face]), ...args.map(shellQuote)].join(" ");
  const script = opts.closeFds === true ? `exec ${command} 0<&- 2>&-` : `exec ${command}`;
  const r = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pmsapp-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Remove every folder tempDir made (call from afterAll). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * A bundle folder with the real light bundle and a heavy bundle that only leaves a mark when loaded:
 * if the mark is absent after a run, no action code (and so no command) can have run.
 */
export function libdirWithTrippedHeavy(built: string): { libdir: string; mark: string } {
  const libdir = tempDir("lib");
  const mark = join(libdir, "heavy-was-loaded");
  copyFileSync(join(built, "raid.cjs"), join(libdir, "raid.cjs"));
  writeFileSync(
    join(libdir, "raid-heavy.cjs"),
    `require("node:fs").writeFileSync(${JSON.stringify(mark)}, "loaded");\n` +
      `exports.runHeavyAction = async () => ({ rc: 1, reason: "tripwire heavy bundle" });\n`,
  );
  return { libdir, mark };
}

/** Copy a captured sysfs tree (test/fixtures/.../sys) under `<root>/sys` so realHostFs(root) reads it. */
export function hostRootFromCapture(captureDir: string): string {
  const root = tempDir("host");
  const copy = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      const src = join(from, name);
      if (statSync(src).isDirectory()) copy(src, join(to, name));
      else if (!name.endsWith(".txt") && !name.endsWith(".readlink")) copyFileSync(src, join(to, name));
    }
  };
  copy(join(captureDir, "sys"), join(root, "sys"));
  return root;
}

export function xmllint(args: readonly string[], input: string, cwd?: string): { status: number | null; output: string } {
  const r = spawnSync("xmllint", [...args], { input, encoding: "utf8", ...(cwd !== undefined ? { cwd } : {}) });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
