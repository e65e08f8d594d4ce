/**
 * validate-all: the parameters were already validated (6 when wrong); here the environment: the programs
 * the actions run must exist (5 when not). No side effects: nothing is run, only looked up.
 */
import { OCF } from "../ocf/exit-codes.js";
import type { Outcome } from "./dispatch.js";

export const REQUIRED_PROGRAMS = ["mdadm", "iscsiadm"] as const;

export function validateEnvironment(resolve: (program: string) => string | undefined): Outcome {
  const missing = REQUIRED_PROGRAMS.filter((p) => resolve(p) === undefined);
  if (missing.length > 0) {
    return { rc: OCF.ERR_INSTALLED, reason: `${missing.join(" and ")} not found in /usr/sbin:/usr/bin:/sbin:/bin: install mdadm and open-iscsi (iscsi-initiator-utils)` };
  }
  return { rc: OCF.SUCCESS, reason: `parameters valid; ${REQUIRED_PROGRAMS.map((p) => resolve(p)).join(", ")} present` };
}
