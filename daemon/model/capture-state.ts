/**
 * A NodeState read from a captured node folder (test/fixtures/...): the same readers the daemon uses
 * on a live host, over captureHostFs, plus the captured `tgtadm --op show` output. Used by tests, the
 * lab replay and the benchmarks.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readAllMdArrays } from "../../agents/md/array-state.js";
import { readIscsiSessions } from "../../agents/iscsi/session-state.js";
import { captureHostFs } from "../../agents/system/capture-fs.js";
import { parseTgtShow } from "../../agents/tgt/show.js";
import type { NodeState } from "./state.js";

export function captureState(dir: string): NodeState {
  const fs = captureHostFs(dir);
  const tgt = join(dir, "tgtadm-op-show.txt");
  return {
    arrays: readAllMdArrays(fs),
    sessions: readIscsiSessions(fs),
    targets: existsSync(tgt) ? parseTgtShow(readFileSync(tgt, "utf8")) : [],
  };
}
