/**
 * The mdadm commands the raid agent runs: examine a member, assemble by UUID from an explicit member
 * list, stop one array. argv arrays only; results are values.
 */
import { describeResult, succeeded, type Runner } from "../system/command.js";
import { classifyExamineFailure, parseExamine, parseExamineExport, type Examine, type ExamineExport, type ExamineFailure } from "./examine.js";
import { mdadmUuid } from "./uuid.js";

export const MDADM = "mdadm";

export type MemberExamination =
  | { readonly ok: true; readonly examine: Examine; readonly exported: ExamineExport }
  | { readonly ok: false; readonly failure: ExamineFailure | "timeout" | "not-installed" | "unparsable"; readonly reason: string };

/** `mdadm --examine --export` and `mdadm --examine` of one device; both must agree on the array. */
export async function examineMember(runner: Runner, device: string, timeoutMs: () => number): Promise<MemberExamination> {
  const exp = await runner.run(MDADM, ["--examine", "--export", device], { timeoutMs: timeoutMs() });
  if (exp.failedToStart !== undefined) return { ok: false, failure: "not-installed", reason: describeResult(exp) };
  if (exp.timedOut) return { ok: false, failure: "timeout", reason: describeResult(exp) };
  if (!succeeded(exp)) return { ok: false, failure: classifyExamineFailure(exp.stderr), reason: describeResult(exp) };
  const full = await runner.run(MDADM, ["--examine", device], { timeoutMs: timeoutMs() });
  if (full.timedOut) return { ok: false, failure: "timeout", reason: describeResult(full) };
  if (!succeeded(full)) return { ok: false, failure: classifyExamineFailure(full.stderr), reason: describeResult(full) };
  const e = parseExamineExport(exp.stdout);
  const f = parseExamine(full.stdout);
  if (!e.ok) return { ok: false, failure: "unparsable", reason: `${device}: ${e.error}` };
  if (!f.ok) return { ok: false, failure: "unparsable", reason: `${device}: ${f.error}` };
  if (e.value.uuid !== f.value.uuid || e.value.devUuid !== f.value.devUuid || e.value.events !== f.value.events) {
    return { ok: false, failure: "unparsable", reason: `${device}: the two examinations disagree (the superblock changed in between?)` };
  }
  return { ok: true, examine: f.value, exported: e.value };
}

export function assembleArgs(mdDevice: string, uuid: string, members: readonly string[], run: boolean, force: boolean): string[] {
  return ["--assemble", mdDevice, `--uuid=${mdadmUuid(uuid)}`, ...(run ? ["--run"] : []), ...(force ? ["--force"] : []), ...members];
}

export const stopArgs = (mdDevice: string): string[] => ["--stop", mdDevice];
