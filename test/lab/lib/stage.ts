/**
 * What pmsapp looks like inside the guests: exactly the staged install tree
 * (`node packaging/stage.mjs --init systemd|sysv <dir>`, sysv for the lab's fast init). The guests mount
 * STAGE_DIR read-only (9p) and copy it onto / at every boot, so a code change needs no image rebuild.
 * When the stage command is missing or refuses (parts of the product not written yet), the files of
 * the same install layout (packaging/layout.mjs) that do exist are copied instead, and the lab says so
 * (`Stage.how`, `Stage.note`): a partial tree, never passed off as the staged one.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { lastLines, run } from "./host.js";
import { say } from "./log.js";
import { REPO_ROOT, STAGE_DIR } from "./paths.js";

export interface Stage {
  readonly dir: string;
  readonly how: "stage-command" | "partial-layout";
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
  const copied = await copyPresentLayout(init === "fast" ? "sysv" : "systemd");
  const note = `NOT the staged tree (${why}); copied the ${copied.length} files of the install layout that exist (${copied.join(", ")})`;
  say(note);
  return { dir: STAGE_DIR, how: "partial-layout", note };
}

interface LayoutFile {
  readonly src: string;
  readonly dest: string;
  readonly mode: number;
}

/** The files of packaging/layout.mjs that exist in this checkout, laid out like stage.mjs would. */
async function copyPresentLayout(init: "systemd" | "sysv"): Promise<string[]> {
  const layoutFile = join(REPO_ROOT, "packaging", "layout.mjs");
  let files: LayoutFile[];
  if (existsSync(layoutFile)) {
    const layout = (await import(pathToFileURL(layoutFile).href)) as { copiedFiles: (init: string) => LayoutFile[] };
    files = layout.copiedFiles(init);
  } else {
    files = ["raid.cjs", "raid-heavy.cjs", "target.cjs", "pmsappd.cjs", "pmsapp.cjs"].map((b) => ({ src: `dist/${b}`, dest: `usr/lib/pmsapp/${b}`, mode: 0o644 }));
  }
  const copied: string[] = [];
  for (const f of files) {
    const src = join(REPO_ROOT, f.src);
    if (!existsSync(src)) continue;
    const dest = join(STAGE_DIR, f.dest);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(src, dest);
    chmodSync(dest, f.mode);
    copied.push(`/${f.dest}`);
  }
  return copied;
}
