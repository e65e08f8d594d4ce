/**
 * What pmsapp looks like inside the guests: exactly the staged install tree
 * (`node packaging/stage.mjs --init systemd|sysv <dir>`, sysv for the lab's fast init). The guests mount
 * STAGE_DIR read-only (9p) and copy it onto / at every boot, so a code change needs no image rebuild.
 * When the stage command is missing or refuses (parts of the product not written yet), the built
 * bundles are copied to usr/lib/pmsapp/ instead, and the lab says so: `Stage.how` tells which.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { lastLines, run } from "./host.js";
import { say } from "./log.js";
import { REPO_ROOT, STAGE_DIR } from "./paths.js";

export interface Stage {
  readonly dir: string;
  readonly how: "stage-command" | "bundles-only";
  readonly note: string;
}

export async function prepareStage(init: "fast" | "systemd"): Promise<Stage> {
  rmSync(STAGE_DIR, { recursive: true, force: true });
  mkdirSync(STAGE_DIR, { recursive: true });
  const stager = join(REPO_ROOT, "packaging", "stage.mjs");
  let why = "packaging/stage.mjs does not exist yet";
  if (existsSync(stager)) {
    const r = await run([process.execPath, stager, "--init", init === "fast" ? "sysv" : "systemd", STAGE_DIR], { cwd: REPO_ROOT, timeoutMs: 300_000 });
    if (r.rc === 0) {
      const note = `pmsapp staged into ${STAGE_DIR} by packaging/stage.mjs (--init ${init === "fast" ? "sysv" : "systemd"})`;
      say(note);
      return { dir: STAGE_DIR, how: "stage-command", note };
    }
    why = `packaging/stage.mjs refused: ${lastLines(r.stderr || r.stdout, 4)}`;
    rmSync(STAGE_DIR, { recursive: true, force: true });
    mkdirSync(STAGE_DIR, { recursive: true });
  }
  const dist = join(REPO_ROOT, "dist");
  const bundles = existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith(".cjs")) : [];
  const lib = join(STAGE_DIR, "usr", "lib", "pmsapp");
  mkdirSync(lib, { recursive: true });
  for (const b of bundles) copyFileSync(join(dist, b), join(lib, b));
  const note = `NOT the staged tree (${why}); copied ${bundles.length} bundle(s) from dist/ to /usr/lib/pmsapp instead`;
  say(note);
  return { dir: STAGE_DIR, how: "bundles-only", note };
}
