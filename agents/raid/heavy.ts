/**
 * Entry point of dist/raid-heavy.cjs: the actions that run commands (start, stop, validate-all, status
 * depth 10/20). Loaded by the light bundle with require(); exports `runHeavyAction`.
 */
import { OCF } from "../ocf/exit-codes.js";
import type { HeavyRequest, Outcome } from "./dispatch.js";

export async function runHeavyAction(request: HeavyRequest): Promise<Outcome> {
  return { rc: OCF.ERR_UNIMPLEMENTED, reason: `${request.action} is not implemented in this build yet` };
}
