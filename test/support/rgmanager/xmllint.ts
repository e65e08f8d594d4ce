/**
 * xmllint (libxml2, the same library rgmanager and ccs_config_validate use) run with argv arrays.
 * Documents and schemas are written to a private temporary folder because --relaxng wants a file.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface XmllintResult {
  readonly ok: boolean;
  /** xmllint's exit code (0 ok, 3/4 document invalid, 5 schema does not compile, 1 not well-formed). */
  readonly exitCode: number | null;
  /** What xmllint said on stderr, for the failure message. */
  readonly messages: string;
}

const XMLLINT = "/usr/bin/xmllint";

function run(args: readonly string[], input?: string): XmllintResult {
  const r = spawnSync(XMLLINT, args, { input: input ?? "", encoding: "utf8", env: { LC_ALL: "C" }, timeout: 60_000 });
  if (r.error) {
    const hint = (r.error as NodeJS.ErrnoException).code === "ENOENT" ? " (install libxml2-utils: node packaging/host-deps.mjs test)" : "";
    throw new Error(`cannot run ${XMLLINT}: ${r.error.message}${hint}`);
  }
  return { ok: r.status === 0, exitCode: r.status, messages: `${r.stderr}`.trim() };
}

/** A scratch folder for one check, removed afterwards. */
function withFiles<T>(files: Record<string, string>, body: (paths: Record<string, string>) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "pmsapp-rgm-"));
  try {
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
      paths[name] = join(dir, name);
      writeFileSync(paths[name], text);
    }
    return body(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `xmllint --noout -`: is the text well-formed XML (what ccs_update_schema checks on cluster.rng)? */
export function wellFormed(text: string): XmllintResult {
  return run(["--noout", "-"], text);
}

/** `xmllint --noout --dtdvalid <dtd> -`. */
export function validWithDtd(text: string, dtdPath: string): XmllintResult {
  return run(["--noout", "--dtdvalid", dtdPath, "-"], text);
}

/** `xmllint --noout --relaxng cluster.rng cluster.conf`, as ccs_config_validate runs it. */
export function validWithRelaxng(schema: string, document: string): XmllintResult {
  return withFiles({ "cluster.rng": schema, "cluster.conf": document }, (p) => run(["--noout", "--relaxng", p["cluster.rng"]!, p["cluster.conf"]!]));
}
